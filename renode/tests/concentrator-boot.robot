*** Comments ***
The concentrator on the 32F429I-DISCOVERY board (renode/platforms/stm32f429-concentrator.repl).
The image is the stm32f405 build of the role: the F429 has the F405's USART1-3, RCC, GPIO and
SysTick at the same addresses, and more SRAM; there is no stm32f429 build platform yet.

*** Settings ***
Suite Setup       Setup
Suite Teardown    Teardown
Test Teardown     Test Teardown
Resource          ${RENODEKEYWORDS}
Resource          common.resource

*** Test Cases ***
Concentrator Boots To Its Shell
    Start Concentrator
    Wait For Line On Uart    meterfw concentrator on stm32f405    timeout=${BOOT_TIMEOUT}
    Wait For Line On Uart    MNSH ready    timeout=${BOOT_TIMEOUT}
    Wait For Line On Uart    PARTS started    timeout=${BOOT_TIMEOUT}
    Write Line To Uart       SYS VERSION    waitForEcho=false
    Wait For Line On Uart    ^FIRMWARE concentrator board=stm32f405 \\S+ \\S+    treatAsRegex=true
    Wait For Line On Uart    ^NON-LEGAL \\d+\\.\\d+\\.\\d+ [0-9a-f]{64} running$    treatAsRegex=true
    Write Line To Uart       SYS MEM    waitForEcho=false
    Wait For Line On Uart    data.ram=ccm data.ram.used=65536 data.ram.size=65536
