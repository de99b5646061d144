/* XS platform header shared by every host of this firmware (Cortex-M boards, Linux process)
 * and by the host-side bytecode compiler, so that bytecode produced on the build machine
 * matches the device: same endianness, same 16-bit symbol ids (mx32bitID is never defined),
 * same string encoding. Selected with -DINCLUDE_XSPLATFORM -DXSPLATFORM="xsplatform.h". */
#ifndef METERFW_XSPLATFORM_H
#define METERFW_XSPLATFORM_H

#if !defined(__GNUC__)
	#error "gcc or arm-none-eabi-gcc expected"
#endif
#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
	#error "bytecode is little-endian"
#endif

#undef mxLittleEndian
#define mxLittleEndian 1
#define mxExport extern
#define mxImport extern
#define XS_FUNCTION_NORETURN __attribute__((noreturn))

#include <ctype.h>
#include <float.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* newlib-nano's realloc (the one Debian ships) copies the new size out of the old block, so
 * growing a block near the end of SRAM reads past it: a bus fault (seen on the STM32F405 when
 * XS grows its key array). The boards use board_realloc (hosts/common/cortex-m4/syscalls.c). */
#if defined(__arm__)
	extern void *board_realloc(void *block, size_t size);
	#define c_realloc board_realloc
#endif

/* Module specifiers are short: "legal/metro/ring". */
#define C_PATH_MAX 128

/* Every hook below is ours (hosts/common/xsruntime.c), except key building and the allocators,
 * which only call c_malloc (slots on the boards excepted), and parsing, which exists only where the parser is linked. */
#define mxUseDefaultBuildKeys 1
#define mxUseDefaultChunkAllocation 1
/* On the boards, slots may live in a second data RAM (the STM32F405's CCM). */
#if defined(__arm__)
	#define mxUseDefaultSlotAllocation 0
#else
	#define mxUseDefaultSlotAllocation 1
#endif
#define mxUseDefaultSharedChunks 1
#define mxUseDefaultCStackLimit 0
#ifdef mxParse
	#define mxUseDefaultParseScript 1
#endif

/* Cortex-M faults on unaligned 64-bit stores. */
#ifdef __ARM_ARCH
	#define mxMisalignedSettersCrash 1
#endif

#define mxMachinePlatform \
	void* host; \
	int promiseJobs; \
	void* waiterCondition; \
	void* waiterData; \
	void* waiterLink;

/* Ids are 16-bit on every platform: the bytecode compiled on the host runs on the device. */
#undef mx32bitID

#endif /* METERFW_XSPLATFORM_H */
