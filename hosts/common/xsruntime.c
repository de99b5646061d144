/* The firmware runtime: one XS machine, the part images it loads precompiled modules from,
 * native bindings resolved from a generated table, and the event loop. Interrupt handlers
 * never run script: they fill C buffers (board.c); this loop hands the bytes to script. */
#include "xsAll.h"
#include "board.h"
#include "xsruntime.h"

#include <malloc.h>
#include <string.h>

static image_t images[IMAGE_PART_COUNT];
static txMachine *machine;
static xsSlot hooks;              /* { onTimer(now), onReadable(port, count) } from script */
static int hooks_attached;
static uint32_t wake_at;
static int wake_armed;
static uint8_t listening[BOARD_UART_MAX];
static uint32_t rejections, callback_errors;

const image_t *runtime_image(unsigned part)
{
	return part < IMAGE_PART_COUNT ? &images[part] : NULL;
}

void runtime_print(const char *text)
{
	board_uart_write(BOARD_UART_CONSOLE, text, strlen(text));
}

/* C heap in use and the arena's extent, which only grows: its high-water mark. */
static void heap_usage(size_t *used, size_t *arena)
{
#if defined(__GLIBC__) && (__GLIBC__ > 2 || __GLIBC_MINOR__ >= 33)
	struct mallinfo2 mi = mallinfo2();
#else
	struct mallinfo mi = mallinfo();
#endif
	*used = (size_t)mi.uordblks;
	*arena = (size_t)mi.arena;
}

/* ---- XS platform hooks ---- */

void fxCreateMachinePlatform(txMachine *the)
{
	the->host = C_NULL;
	the->promiseJobs = 0;
}

void fxDeleteMachinePlatform(txMachine *the)
{
	(void)the;
}

void fxQueuePromiseJobs(txMachine *the)
{
	the->promiseJobs = 1;
}

char *fxCStackLimit(void)
{
	return (char *)board_stack_limit();
}

void fxAbort(txMachine *the, int status)
{
	const char *why;
	switch (status) {
	case XS_UNHANDLED_REJECTION_EXIT:
		/* A forgotten promise is a bug to count and trace, not a reason to stop metering. */
		rejections++;
		runtime_print("TRACE ERROR xs: unhandled rejection\r\n");
		return;
	case XS_STACK_OVERFLOW_EXIT: why = "stack overflow"; break;
	case XS_NOT_ENOUGH_MEMORY_EXIT: why = "memory full"; break;
	case XS_NO_MORE_KEYS_EXIT: why = "not enough keys"; break;
	case XS_UNHANDLED_EXCEPTION_EXIT: why = "unhandled exception"; break;
	case XS_TOO_MUCH_COMPUTATION_EXIT: why = "too much computation"; break;
	default: why = "fatal"; break;
	}
	(void)the;
	/* The machine cannot be trusted any more: report and restart, as the watchdog would. */
	runtime_print("FATAL xs: ");
	runtime_print(why);
	runtime_print("\r\n");
	board_fatal(100 + status);
}

#ifndef mxParse
txScript *fxParseScript(txMachine *the, void *stream, txGetter getter, txUnsigned flags)
{
	(void)stream; (void)getter; (void)flags;
	mxSyntaxError("no parser in this firmware: code is precompiled");
	return C_NULL;
}
#endif

/* Normalises "dir/./a/../b" style specifiers; relative ones are resolved against the referrer.
 * Returns 0 when the result would escape the root or overflow. */
static int resolve_path(char *out, size_t size, const char *referrer, const char *name)
{
	char buffer[C_PATH_MAX];
	size_t n = 0;
	if (name[0] == '.' && (name[1] == '/' || (name[1] == '.' && name[2] == '/'))) {
		if (!referrer)
			return 0;
		const char *slash = strrchr(referrer, '/');
		size_t dir = slash ? (size_t)(slash - referrer) : 0;
		if (dir + 1 + strlen(name) + 1 > sizeof(buffer))
			return 0;
		memcpy(buffer, referrer, dir);
		buffer[dir] = '/';
		strcpy(buffer + dir + 1, name);
	}
	else {
		if (strlen(name) + 1 > sizeof(buffer))
			return 0;
		strcpy(buffer, name);
	}
	/* drop a .js/.mjs extension: modules are stored by specifier */
	size_t len = strlen(buffer);
	if (len > 3 && !strcmp(buffer + len - 3, ".js")) buffer[len - 3] = 0;
	else if (len > 4 && !strcmp(buffer + len - 4, ".mjs")) buffer[len - 4] = 0;
	/* collapse segments */
	char *segments[32];
	int count = 0;
	for (char *s = strtok(buffer, "/"); s; s = strtok(NULL, "/")) {
		if (!strcmp(s, ".") || !*s)
			continue;
		if (!strcmp(s, "..")) {
			if (count == 0)
				return 0;
			count--;
			continue;
		}
		if (count == 32)
			return 0;
		segments[count++] = s;
	}
	if (count == 0)
		return 0;
	for (int i = 0; i < count; i++) {
		size_t l = strlen(segments[i]);
		if (n + l + 2 > size)
			return 0;
		if (i)
			out[n++] = '/';
		memcpy(out + n, segments[i], l);
		n += l;
	}
	out[n] = 0;
	return 1;
}

/* The part a module belongs to is the first segment of its specifier ("legal/metro/ring");
 * everything else ("crc", "mc/config", "generic/...") is GENERIC's. A module is looked up only
 * in its own part's image, so no image can shadow or add modules of another part. */
static int module_part(const char *path)
{
	static const char *const prefixes[IMAGE_PART_COUNT] = { NULL, "legal/", "plc/", "nonlegal/" };
	for (int i = IMAGE_PART_LEGAL; i < IMAGE_PART_COUNT; i++)
		if (!strncmp(path, prefixes[i], strlen(prefixes[i])))
			return i;
	return IMAGE_PART_GENERIC;
}

static const image_t *find_module(const char *path, const uint8_t **symbols, uint32_t *symbolsSize,
	const uint8_t **code, uint32_t *codeSize)
{
	const image_t *image = &images[module_part(path)];
	return image_find(image, path, symbols, symbolsSize, code, codeSize) ? image : NULL;
}

/* Isolation between parts, enforced where modules are resolved: a module of LEGAL, PLC or
 * NON-LEGAL may import only modules of its own part and what GENERIC shares with every part:
 * generic/ids (constants) and generic/shared/... (hardened exports). GENERIC may import
 * anything. */
static int import_allowed(const char *referrer, const char *path)
{
	if (!referrer)
		return 1;
	int from = module_part(referrer);
	if (from == IMAGE_PART_GENERIC)
		return 1;
	return module_part(path) == from || !strcmp(path, "generic/ids") || !strncmp(path, "generic/shared/", 15);
}

static uint32_t refused_imports;

txID fxFindModule(txMachine *the, txSlot *realm, txID moduleID, txSlot *slot)
{
	char name[C_PATH_MAX], path[C_PATH_MAX];
	const uint8_t *symbols, *code;
	uint32_t symbolsSize, codeSize;
	(void)realm;
	const char *referrer = moduleID == XS_NO_ID ? NULL : fxGetKeyName(the, moduleID);
	fxToStringBuffer(the, slot, name, sizeof(name));
	if (!resolve_path(path, sizeof(path), referrer, name))
		return XS_NO_ID;
	if (!import_allowed(referrer, path)) {
		refused_imports++;
		mxTypeError("%s may not import %s", referrer, path);
	}
	if (!find_module(path, &symbols, &symbolsSize, &code, &codeSize))
		return XS_NO_ID;
	return fxNewNameC(the, path);
}

void fxLoadModule(txMachine *the, txSlot *module, txID moduleID)
{
	txString path = fxGetKeyName(the, moduleID);
	const uint8_t *symbols, *code;
	uint32_t symbolsSize, codeSize;
	if (!find_module(path, &symbols, &symbolsSize, &code, &codeSize))
		return;
	/* fxRunScript rewrites symbol ids in the code and frees the buffers: run from RAM copies. */
	txScript *script = c_calloc(1, sizeof(txScript));
	if (!script)
		fxAbort(the, XS_NOT_ENOUGH_MEMORY_EXIT);
	script->symbolsBuffer = c_malloc(symbolsSize);
	script->codeBuffer = c_malloc(codeSize);
	if (!script->symbolsBuffer || !script->codeBuffer) {
		fxDeleteScript(script);
		mxUnknownError("not enough memory to load %s", path);
	}
	c_memcpy(script->symbolsBuffer, symbols, symbolsSize);
	c_memcpy(script->codeBuffer, code, codeSize);
	script->symbolsSize = (txSize)symbolsSize;
	script->codeSize = (txSize)codeSize;
	script->path = path;
	script->version[0] = XS_MAJOR_VERSION;
	script->version[1] = XS_MINOR_VERSION;
	script->version[2] = XS_PATCH_VERSION;
	fxResolveModule(the, module, moduleID, script, C_NULL, C_NULL);
}

/* ---- buffers passed to natives ---- */

void runtime_buffer(xsMachine *the, xsSlot *slot, void **data, size_t *length)
{
	/* The pointer is valid until script runs again (the collector may move chunks). */
	if (xsIsInstanceOf(*slot, xsArrayBufferPrototype)) {
		*length = (size_t)xsGetArrayBufferLength(*slot);
		*data = xsToArrayBuffer(*slot);
		return;
	}
	if (xsIsInstanceOf(*slot, xsTypedArrayPrototype) || xsIsInstanceOf(*slot, xsDataViewPrototype)) {
		xsSlot buffer = xsGet(*slot, xsID("buffer"));
		xsIntegerValue offset = xsToInteger(xsGet(*slot, xsID("byteOffset")));
		xsIntegerValue count = xsToInteger(xsGet(*slot, xsID("byteLength")));
		*data = (uint8_t *)xsToArrayBuffer(buffer) + offset;
		*length = (size_t)count;
		return;
	}
	xsTypeError("ArrayBuffer or view expected");
}

/* ---- native(): the one typed binding mechanism ---- */

static void xs_native(xsMachine *the)
{
	char name[64];
	xsToStringBuffer(xsArg(0), name, sizeof(name));
	unsigned lo = 0, hi = native_count;
	while (lo < hi) {
		unsigned mid = (lo + hi) / 2;
		int c = strcmp(name, native_table[mid].name);
		if (c == 0) {
			xsResult = xsNewHostFunction(native_table[mid].callback, native_table[mid].length);
			return;
		}
		if (c < 0) hi = mid; else lo = mid + 1;
	}
	xsUnknownError("native %s not found", name);
}

/* ---- runtime natives used by modules/generic ---- */

void xs_runtime_attach(xsMachine *the)
{
	if (!xsIsInstanceOf(xsArg(0), xsObjectPrototype))
		xsTypeError("hooks: object expected");
	if (hooks_attached)
		xsUnknownError("hooks already attached");
	hooks = xsArg(0);
	xsRemember(hooks);
	hooks_attached = 1;
}

void xs_runtime_wake(xsMachine *the)
{
	/* absolute deadline in board milliseconds, or undefined to disarm */
	if (xsTypeOf(xsArg(0)) == xsUndefinedType) {
		wake_armed = 0;
		return;
	}
	double when = xsToNumber(xsArg(0));
	uint32_t now = board_millis();
	wake_at = when <= now ? now : (when > (double)UINT32_MAX ? UINT32_MAX : (uint32_t)when);
	wake_armed = 1;
}

void xs_runtime_cycles(xsMachine *the)
{
	xsResult = xsNumber((double)board_cycles());
}

void xs_runtime_cycle_hz(xsMachine *the)
{
	xsResult = xsNumber(board_cycle_hz());
}

void xs_runtime_millis(xsMachine *the)
{
	xsResult = xsNumber(board_millis());
}

void xs_uart_listen(xsMachine *the)
{
	int port = xsToInteger(xsArg(0));
	if (port < 0 || port >= BOARD_UART_MAX)
		xsRangeError("uart %d", port);
	listening[port] = xsTest(xsArg(1));
}

void xs_uart_read(xsMachine *the)
{
	int port = xsToInteger(xsArg(0));
	int max = xsToInteger(xsArg(1));
	if (port < 0 || port >= BOARD_UART_MAX)
		xsRangeError("uart %d", port);
	if (max < 0 || max > 4096)
		max = 4096;
	size_t available = board_uart_available(port);
	if ((size_t)max > available)
		max = (int)available;
	xsResult = xsArrayBuffer(NULL, max);
	size_t got = board_uart_read(port, xsToArrayBuffer(xsResult), max);
	if (got < (size_t)max)
		xsSetArrayBufferLength(xsResult, (xsIntegerValue)got);
}

void xs_uart_write(xsMachine *the)
{
	int port = xsToInteger(xsArg(0));
	if (port < 0 || port >= BOARD_UART_MAX)
		xsRangeError("uart %d", port);
	if (xsTypeOf(xsArg(1)) == xsStringType) {
		const char *s = xsToString(xsArg(1));
		board_uart_write(port, s, strlen(s));
		return;
	}
	void *data;
	size_t length;
	runtime_buffer(the, &xsArg(1), &data, &length);
	board_uart_write(port, data, length);
}

void xs_uart_dropped(xsMachine *the)
{
	int port = xsToInteger(xsArg(0));
	if (port < 0 || port >= BOARD_UART_MAX)
		xsRangeError("uart %d", port);
	xsResult = xsNumber(board_uart_dropped(port));
}

void xs_sys_mem(xsMachine *the)
{
	xsResult = xsNewObject();
	xsSet(xsResult, xsID("chunks"), xsNumber(the->currentChunksSize));
	xsSet(xsResult, xsID("chunksPeak"), xsNumber(the->peakChunksSize));
	xsSet(xsResult, xsID("chunksMax"), xsNumber(the->maximumChunksSize));
	xsSet(xsResult, xsID("slots"), xsNumber(the->currentHeapCount));
	xsSet(xsResult, xsID("slotsPeak"), xsNumber(the->peakHeapCount));
	xsSet(xsResult, xsID("slotsMax"), xsNumber(the->maximumHeapCount));
	xsSet(xsResult, xsID("slotSize"), xsInteger(sizeof(txSlot)));
	xsSet(xsResult, xsID("keys"), xsInteger(the->keyIndex));
	xsSet(xsResult, xsID("stackSlots"), xsInteger((xsIntegerValue)(the->stackTop - the->stackBottom)));
	{
		size_t used, arena;
		heap_usage(&used, &arena);
		xsSet(xsResult, xsID("heapUsed"), xsNumber(used));
		xsSet(xsResult, xsID("heapPeak"), xsNumber(arena));
	}
	xsSet(xsResult, xsID("heapSize"), xsNumber(board_heap_size()));
	xsSet(xsResult, xsID("cStack"), xsNumber(board_stack_size()));
	xsSet(xsResult, xsID("cStackPeak"), xsNumber(board_stack_high_water()));
	xsSet(xsResult, xsID("rejections"), xsNumber(rejections));
	xsSet(xsResult, xsID("refusedImports"), xsNumber(refused_imports));
	xsSet(xsResult, xsID("callbackErrors"), xsNumber(callback_errors));
}

void xs_sys_gc(xsMachine *the)
{
	xsCollectGarbage();
}

void xs_sys_images(xsMachine *the)
{
	static const char hex[] = "0123456789abcdef";
	xsVars(1);
	xsResult = xsNewArray(0);
	for (int i = 0; i < IMAGE_PART_COUNT; i++) {
		char digest[65];
		for (int j = 0; j < 32; j++) {
			digest[2 * j] = hex[images[i].sha256[j] >> 4];
			digest[2 * j + 1] = hex[images[i].sha256[j] & 15];
		}
		digest[64] = 0;
		xsVar(0) = xsNewObject();
		xsSet(xsVar(0), xsID("part"), xsString(image_part_names[i]));
		xsSet(xsVar(0), xsID("status"), xsString(image_status_text(images[i].status)));
		xsSet(xsVar(0), xsID("version"), xsInteger((xsIntegerValue)images[i].version));
		xsSet(xsVar(0), xsID("size"), xsInteger((xsIntegerValue)images[i].payload_size));
		xsSet(xsVar(0), xsID("modules"), xsInteger((xsIntegerValue)images[i].module_count));
		xsSet(xsVar(0), xsID("sha256"), xsString(digest));
		xsSet(xsVar(0), xsID("address"), xsNumber((double)(uintptr_t)images[i].base));
		xsCall1(xsResult, xsID("push"), xsVar(0));
	}
}

void xs_sys_info(xsMachine *the)
{
	xsResult = xsNewObject();
	xsSet(xsResult, xsID("board"), xsString(board_name()));
	xsSet(xsResult, xsID("role"), xsString(build_role));
	xsSet(xsResult, xsID("platform"), xsString(build_platform));
	xsSet(xsResult, xsID("build"), xsString(build_id));
	xsSet(xsResult, xsID("xs"), xsString(XS_ENGINE_VERSION));
}

void xs_sys_reboot(xsMachine *the)
{
	(void)the;
	board_reset();
}

void xs_sys_exit(xsMachine *the)
{
	board_exit(xsToInteger(xsArg(0)));
}

void xs_sys_random(xsMachine *the)
{
	/* Not for keys: a seeded xorshift for jitter and test data. */
	static uint32_t state;
	if (!state)
		state = board_entropy() | 1;
	state ^= state << 13;
	state ^= state >> 17;
	state ^= state << 5;
	xsResult = xsNumber(state);
}

/* ---- event loop ---- */

/* Real-time hosts: nothing to report before idling (lin defines it for the simulated clock). */
__attribute__((weak)) void board_settled(int armed, uint32_t deadline_ms)
{
	(void)armed;
	(void)deadline_ms;
}

static void run_jobs(txMachine *the)
{
	while (the->promiseJobs) {
		the->promiseJobs = 0;
		fxRunPromiseJobs(the);
	}
	fxEndJob(the);
}

static void call_hook(txMachine *the, const char *name, int argc, double a0, double a1)
{
	xsBeginHost(the);
	{
		xsTry {
			xsVars(1);
			xsVar(0) = xsGet(hooks, xsID((char *)name));
			if (xsTypeOf(xsVar(0)) != xsUndefinedType) {
				if (argc == 1)
					xsCallFunction1(xsVar(0), hooks, xsNumber(a0));
				else
					xsCallFunction2(xsVar(0), hooks, xsNumber(a0), xsNumber(a1));
			}
		}
		xsCatch {
			callback_errors++;
			runtime_print("TRACE ERROR xs: exception in ");
			runtime_print(name);
			runtime_print("\r\n");
		}
	}
	xsEndHost(the);
}

static void loop(txMachine *the)
{
	for (;;) {
		run_jobs(the);
		int busy = 0;
		if (hooks_attached) {
			for (int port = 0; port < BOARD_UART_MAX; port++) {
				size_t n = listening[port] ? board_uart_available(port) : 0;
				if (n) {
					call_hook(the, "onReadable", 2, port, (double)n);
					busy = 1;
				}
			}
			uint32_t now = board_millis();
			if (wake_armed && (int32_t)(now - wake_at) >= 0) {
				wake_armed = 0;
				call_hook(the, "onTimer", 1, now, 0);
				busy = 1;
			}
		}
		run_jobs(the);
		if (!busy && !the->promiseJobs) {
			/* everything due has run: a simulated clock may move on to the next deadline */
			board_settled(wake_armed, wake_at);
			uint32_t now = board_millis();
			uint32_t wait = 1000;
			if (wake_armed)
				wait = (int32_t)(wake_at - now) <= 0 ? 0 : (wake_at - now < wait ? wake_at - now : wait);
			if (wait)
				board_idle(wait);
		}
	}
}

int runtime_main(const runtime_config_t *config)
{
	/* GENERIC first: without it there is nothing to run. */
	image_check(&images[IMAGE_PART_GENERIC], IMAGE_PART_GENERIC, generic_image, generic_image_size);
	if (images[IMAGE_PART_GENERIC].status != IMAGE_OK) {
		runtime_print("FATAL GENERIC image ");
		runtime_print(image_status_text(images[IMAGE_PART_GENERIC].status));
		runtime_print("\r\n");
		board_fatal(3);
	}
	for (int part = IMAGE_PART_LEGAL; part < IMAGE_PART_COUNT; part++)
		image_check(&images[part], (uint8_t)part, config->region[part], config->region_size[part]);

	xsCreation creation = build_creation;
	machine = xsCreateMachine(&creation, "meterfw", NULL);
	if (!machine) {
		runtime_print("FATAL xs: cannot create the machine\r\n");
		board_fatal(4);
	}
	txMachine *the = machine;
	xsBeginHost(the);
	{
		xsTry {
			xsVars(1);
			xsVar(0) = xsNewHostFunction(xs_native, 1);
			xsDefine(xsGlobal, xsID("native"), xsVar(0), xsDontEnum);
			/* SES-style freezing of the intrinsics before any part runs (XS's mxLockdown) */
			xsVar(0) = xsNewHostFunction(fx_harden, 1);
			xsDefine(xsGlobal, xsID("harden"), xsVar(0), xsDontEnum);
			xsVar(0) = xsNewHostFunction(fx_lockdown, 0);
			xsDefine(xsGlobal, xsID("lockdown"), xsVar(0), xsDontEnum);
			xsResult = xsAwaitImport(build_main_module, XS_IMPORT_NAMESPACE);
		}
		xsCatch {
			runtime_print("FATAL xs: cannot start ");
			runtime_print(build_main_module);
			runtime_print(": ");
			runtime_print(xsToString(xsException));
			runtime_print("\r\n");
			board_fatal(5);
		}
	}
	xsEndHost(the);
	loop(the);
	return 0;
}
