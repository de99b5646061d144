*** Comments ***
The concentrator's own stm32f429 build on the 32F429I-DISCOVERY board
(renode/platforms/stm32f429-concentrator.repl): the clock tree at 180 MHz, the FMC SDRAM set up
and tested before the heap is used, the shell, SYS VERSION, and the memory where XS lives (slots
in the CCM, the C heap in the 8 MB SDRAM). The boot's instruction count goes to the log.

*** Settings ***
Suite Setup       Setup
Suite Teardown    Teardown
Test Teardown     Test Teardown
Resource          ${RENODEKEYWORDS}
Resource          common.resource

*** Test Cases ***
F429 Concentrator Boots At 180 MHz With Its SDRAM
    Start F429 Concentrator
    Wait For Line On Uart    ^clock source=hse-pll hse=8000000 sysclk=180000000 hclk=180000000 pclk1=45000000 pclk2=90000000 flash\\.ws=5 rtc=lse time=rtc iwdg\\.ms=2000    treatAsRegex=true    timeout=${BOOT_TIMEOUT}
    Wait For Line On Uart    ^sdram chip=is42s16400j bank=2 base=0xd0000000 size=8388608 sdclk=90000000 sdtr=0x1115361 refresh=1386 test=ok words=181$    treatAsRegex=true    timeout=${BOOT_TIMEOUT}
    Wait For Line On Uart    meterfw concentrator on stm32f429 (stm32f429)    timeout=${BOOT_TIMEOUT}
    Wait For Line On Uart    MNSH ready    timeout=${BOOT_TIMEOUT}
    Wait For Line On Uart    PARTS started    timeout=${BOOT_TIMEOUT}
    ${count}=                Execute Command    sysbus.cpu ExecutedInstructions
    Log To Console           boot to PARTS started: ${count.strip()} instructions

F429 Concentrator Answers On Its Shell
    Start F429 Concentrator
    Wait For Line On Uart    PARTS started    timeout=${BOOT_TIMEOUT}
    Write Line To Uart       SYS VERSION    waitForEcho=false
    Wait For Line On Uart    ^FIRMWARE concentrator board=stm32f429 \\S+ \\S+    treatAsRegex=true
    Wait For Line On Uart    ^PLC \\d+\\.\\d+\\.\\d+ [0-9a-f]{64} running$    treatAsRegex=true
    Wait For Line On Uart    ^NON-LEGAL \\d+\\.\\d+\\.\\d+ [0-9a-f]{64} running$    treatAsRegex=true
    Write Line To Uart       SYS MEM    waitForEcho=false
    Wait For Line On Uart    data.ram=ccm data.ram.used=65536 data.ram.size=65536
    Wait For Line On Uart    ^c\\.heap\\.used=\\d+ c\\.heap\\.peak=\\d+ c\\.heap\\.size=8388608$    treatAsRegex=true
