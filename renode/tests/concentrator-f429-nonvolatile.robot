*** Comments ***
What the 32F429I-DISCOVERY concentrator (stm32f429 build) keeps on Renode across a reset and
across a power cut. The SPI NOR is Renode's Micron_MT25Q on SPI1, its array a MappedMemory of
the board that a machine reset leaves alone: bytes programmed through the firmware's FLASH
commands (area 4, scratch) read back after both. RAM: a watchdog stall marker written into the
top 16 bytes of SRAM by hand (magic 0x57445354, 1234 ms, check word 1234 ^ ~magic) is read by
the next boot after a reset (SRAM kept, as on silicon) and is gone after a power cut (every RAM
zeroed: SRAM, CCM, SDRAM; then the reset). The NVRAM of registers and event log is a host file
reached by semihosting, which Renode does not provide (docs/renode.md, "Non-volatile memory").

*** Settings ***
Suite Setup       Setup
Suite Teardown    Teardown
Test Teardown     Test Teardown
Resource          ${RENODEKEYWORDS}
Resource          common.resource

*** Variables ***
${MARKER}         0x2002FFF0
${PROGRAMMED}     DATA ffffffffffffffffa5a5a5a5a5a5a5a5ffffffffffffffff

*** Keywords ***
Read Back The Programmed Bytes
    Write Line To Uart       FLASH READ 4 8 24    waitForEcho=false
    Wait For Line On Uart    ${PROGRAMMED}

*** Test Cases ***
SPI NOR Kept Across A Reset And A Power Cut, RAM Only Across The Reset
    Start F429 Concentrator
    Wait For Line On Uart    PARTS started    timeout=${BOOT_TIMEOUT}
    Write Line To Uart       FLASH ERASE 4 0    waitForEcho=false
    Wait For Line On Uart    OK
    Write Line To Uart       FLASH PROG 4 16 165 8    waitForEcho=false
    Wait For Line On Uart    OK
    Read Back The Programmed Bytes

    Execute Command          sysbus WriteDoubleWord ${MARKER} 0x57445354
    Execute Command          sysbus WriteDoubleWord 0x2002FFF4 1234
    Execute Command          sysbus WriteDoubleWord 0x2002FFF8 0xA8BBA879
    Execute Command          machine Reset
    Wait For Line On Uart    ^clock source=hse-pll .* reset=\\S+ wdg\\.stall\\.ms=1234$    treatAsRegex=true    timeout=${BOOT_TIMEOUT}
    Wait For Line On Uart    PARTS started    timeout=${BOOT_TIMEOUT}
    Read Back The Programmed Bytes

    Execute Command          sysbus WriteDoubleWord ${MARKER} 0x57445354
    Execute Command          sysbus WriteDoubleWord 0x2002FFF4 1234
    Execute Command          sysbus WriteDoubleWord 0x2002FFF8 0xA8BBA879
    Execute Command          pause
    Execute Command          sysbus.sram ZeroAll
    Execute Command          sysbus.ccm ZeroAll
    Execute Command          sysbus.sdram ZeroAll
    Execute Command          machine Reset
    Execute Command          start
    Wait For Line On Uart    ^clock source=hse-pll .* reset=[a-z,]+$    treatAsRegex=true    timeout=${BOOT_TIMEOUT}
    Wait For Line On Uart    PARTS started    timeout=${BOOT_TIMEOUT}
    Read Back The Programmed Bytes
