*** Comments ***
The meter's shell on USART1 of its STM32F405 board (renode/platforms/stm32f405-meter.repl):
SYS VERSION. (Bad input on this board is tested by test/renode/shell.test.ts through the mocha
harness.) The shell does not echo.

*** Settings ***
Suite Setup       Setup
Suite Teardown    Teardown
Test Teardown     Test Teardown
Resource          ${RENODEKEYWORDS}
Resource          common.resource

*** Test Cases ***
Shell Answers SYS VERSION
    Start Meter
    Wait For Line On Uart    PARTS started    timeout=${BOOT_TIMEOUT}
    Write Line To Uart       SYS VERSION    waitForEcho=false
    Wait For Line On Uart    ^FIRMWARE meter board=stm32f405 \\S+ \\S+    treatAsRegex=true
    Wait For Line On Uart    ^GENERIC \\d+\\.\\d+\\.\\d+ [0-9a-f]{64} ok$    treatAsRegex=true
    Wait For Line On Uart    ^LEGAL \\d+\\.\\d+\\.\\d+ [0-9a-f]{64} running$    treatAsRegex=true
    Wait For Line On Uart    ^PLC \\d+\\.\\d+\\.\\d+ [0-9a-f]{64} running$    treatAsRegex=true
    Wait For Line On Uart    ^NON-LEGAL \\d+\\.\\d+\\.\\d+ [0-9a-f]{64} running$    treatAsRegex=true
