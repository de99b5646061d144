*** Comments ***
The meter boots on its STM32F405 board with the real memory map (renode/platforms/stm32f405-meter.repl):
banner, the four parts started, SYS MEM. ${ELF} defaults to the build's meter image.

*** Settings ***
Suite Setup       Setup
Suite Teardown    Teardown
Test Teardown     Test Teardown
Resource          ${RENODEKEYWORDS}
Resource          common.resource

*** Test Cases ***
Meter Boots To Its Shell
    Start Meter
    Wait For Line On Uart    meterfw meter on stm32f405 (stm32f405)    timeout=${BOOT_TIMEOUT}
    Wait For Line On Uart    MNSH ready    timeout=${BOOT_TIMEOUT}
    Wait For Line On Uart    PARTS started    timeout=${BOOT_TIMEOUT}

Meter Puts XS Slots In The CCM
    Start Meter
    Wait For Line On Uart    MNSH ready    timeout=${BOOT_TIMEOUT}
    Write Line To Uart       SYS MEM    waitForEcho=false
    Wait For Line On Uart    data.ram=ccm data.ram.used=65536 data.ram.size=65536    timeout=5
    Wait For Line On Uart    c.stack.size=
