*** Comments ***
The meter's shell on USART1 of its STM32F405 board (renode/platforms/stm32f405-meter.repl):
SYS VERSION, then bad input (unknown command, non-text bytes, an over-long line) answered with
one error line each, and the shell still answers after it. The shell does not echo.

*** Settings ***
Suite Setup       Setup
Suite Teardown    Teardown
Test Teardown     Test Teardown
Resource          ${RENODEKEYWORDS}
Resource          common.resource

*** Keywords ***
Write Bytes To Uart
    [Arguments]    ${hex}
    @{bytes}=    Split String    ${hex}
    FOR    ${b}    IN    @{bytes}
        Execute Command    sysbus.usart1 WriteChar ${b}
    END

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

Shell Survives Bad Input
    Start Meter
    Wait For Line On Uart    PARTS started    timeout=${BOOT_TIMEOUT}
    Write Line To Uart       SYS FROB 1    waitForEcho=false
    Wait For Line On Uart    ERROR unknown command SYS FROB
    # control bytes do not pass the robot's XML-RPC link as text: straight into the UART
    Write Bytes To Uart      0x01 0x02 0x67 0x61 0x72 0x62 0x1B 0x5B 0x41 0xFE 0x00 0x0D
    Wait For Line On Uart    ERROR non-text bytes in line
    ${long}=                 Evaluate    'X' * 200
    Write Line To Uart       ${long}    waitForEcho=false
    Wait For Line On Uart    ERROR line longer than 128 characters
    Write Line To Uart       SYS SHELL    waitForEcho=false
    Wait For Line On Uart    ^lines=\\d+ errors=3 overlong=1 binary=1 uart\\.dropped=0$    treatAsRegex=true
    Write Line To Uart       SYS VERSION    waitForEcho=false
    Wait For Line On Uart    NON-LEGAL
