/* The firmware runtime: one XS machine, the part images it loads precompiled modules from,
 * native bindings resolved from a generated table, and the event loop. Interrupt handlers
 * never run script: they fill C buffers (board.c); this loop hands the bytes to script. */
#include "xsAll.h"
#include "board.h"
#include "xsruntime.h"
#include "uart.h"   /* drivers/uart: xs_uart.c, uart_listening() */

#include <malloc.h>
#include <string.h>

static image_t images[IMAGE_PART_COUNT];
static runtime_config_t regions;   /* where each part's image lives: checked again after a swap */
static txMachine *machine;
static xsSlot hooks;              /* { onTimer(now), onReadable(port, count) } from script */
static int hooks_attached;
static uint32_t wake_at;
static int wake_armed;
static uint32_t rejections, callback_errors;

/* XS stack high-water: the unused part of the stack is painted once the machine exists. The
 * stack grows down and every slot it takes is written (locals are zeroed), so below the current
 * stack pointer, stale slots of deeper calls come first, then the paint: the first painted slot
 * marks the deepest the stack went. (XS borrows the bottom of the stack as scratch for number
 * formatting and regular expressions, which is why the scan starts from the top.) The engine is
 * built with mxBoundsCheck, so going past stackBottom is a "stack overflow" abort, never a
 * write below the stack. */
#define XS_STACK_PAINT 0xA5
static void paint_xs_stack(txMachine *the)
{
	memset(the->stackBottom, XS_STACK_PAINT, (size_t)((char *)the->stack - (char *)the->stackBottom));
}

static int slot_painted(const txSlot *slot)
{
	const uint8_t *b = (const uint8_t *)slot;
	for (size_t i = 0; i < sizeof(txSlot); i++)
		if (b[i] != XS_STACK_PAINT)
			return 0;
	return 1;
}

static size_t xs_stack_peak(txMachine *the)
{
	const txSlot *s = the->stack;
	while (s > the->stackBottom && !slot_painted(s - 1))
		s--;
	return (size_t)(the->stackTop - s);
}

const uint8_t *runtime_region(unsigned part, size_t *size)
{
	*size = part > IMAGE_PART_GENERIC && part < IMAGE_PART_COUNT ? regions.region_size[part] : 0;
	return *size ? regions.region[part] : NULL;
}

__attribute__((weak)) int board_region_writable(void)
{
	return 0;
}

__attribute__((weak)) int board_region_write(unsigned part, uint32_t offset, const void *data, size_t length)
{
	(void)part, (void)offset, (void)data, (void)length;
	return -1;
}

/* A region holds a part image (MFWI), or a signed one (MCUboot header in front, as the runtime
 * swap leaves it: docs/firmware-update.md): the MFWI then starts ih_hdr_size bytes in. */
static void check_region(unsigned part)
{
	const uint8_t *base = regions.region[part];
	size_t size = regions.region_size[part];
	if (base && size >= 32 && base[0] == 0x3d && base[1] == 0xb8 && base[2] == 0xf3 && base[3] == 0x96) {
		size_t hdr = (size_t)(base[8] | base[9] << 8);
		if (hdr >= 32 && hdr < size) {
			base += hdr;
			size -= hdr;
		}
	}
	image_check(&images[part], (uint8_t)part, base, size);
}

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

#if !mxUseDefaultSlotAllocation
/* Slots (value stack and slot heap) from the board's second data RAM while it has room, then
 * from the C heap (hosts/common/cortex-m4/dataram.c). */
txSlot *fxAllocateSlots(txMachine *the, txSize theCount)
{
	size_t size = (size_t)theCount * sizeof(txSlot);
	void *p = board_data_alloc(size);
	return (txSlot *)(p ? p : c_malloc(size));
}

void fxFreeSlots(txMachine *the, void *theSlots)
{
	if (!board_data_free(theSlots))
		c_free(theSlots);
}
#endif

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
	if (status == XS_NOT_ENOUGH_MEMORY_EXIT) {
		/* what ran out: the C heap (chunks, slots beyond the data RAM) or the slot heap */
		char text[128];
		size_t used, arena;
		heap_usage(&used, &arena);
		snprintf(text, sizeof text, " (c.heap=%u c.arena=%u xs.chunks=%u xs.slots=%u)", (unsigned)used, (unsigned)arena,
			the ? (unsigned)the->currentChunksSize : 0u, the ? (unsigned)the->currentHeapCount : 0u);
		runtime_print(text);
	}
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

/* ---- linked images: bytecode executed in place from flash ----
 * XS maps a module's symbols to key ids when it loads the module, by rewriting the ids into the
 * code; that needs the code in RAM, and XS then copies every function and string literal into
 * the chunk heap. A linked image (tools/xsc/xsc.c --link) holds code whose symbol operands are
 * already the final key ids and whose literals use the *_ARCHIVE opcodes (referenced in place),
 * plus the id each symbol must get. At boot, before anything else creates a key, every linked
 * symbol is registered, parts in order and modules in directory order, with fxNewNameX (the
 * key name stays in flash too). If every id comes out as the linker computed, the part's code
 * runs from flash; if not (an image replaced by one linked against other images, or an image
 * before it missing), the part's modules are relocated into RAM copies with the ids the keys
 * really got — slower to load and costing RAM, never wrong. */
enum { CODE_RAM = 0, CODE_FLASH = 1, CODE_RELOCATE = 2, CODE_BAD = 3 };
static uint8_t part_code[IMAGE_PART_COUNT];
static uint32_t code_bytes_flash, code_bytes_ram;

static uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }

/* Walks a module's symbol table; calls fn for each symbol 1..count-1. Returns the symbol count,
 * or -1 if the table is malformed or does not match the id table. */
static int walk_symbols(txMachine *the, const image_module_t *m, int (*fn)(txMachine *, const image_module_t *, int, txID))
{
	const uint8_t *p = m->symbols, *end = m->symbols + m->symbols_size;
	if (m->symbols_size < sizeof(txID))
		return -1;
	txID c = (txID)rd16(p);
	p += sizeof(txID);
	if (c < 1 || (uint32_t)c != m->id_count)
		return -1;
	int ok = 1;
	for (txID i = 1; i < c; i++) {
		const uint8_t *nul = memchr(p, 0, (size_t)(end - p));
		if (!nul)
			return -1;
		txID id = fxNewNameX(the, (txString)p);
		if (fn && !fn(the, m, i, id))
			ok = 0;
		p = nul + 1;
	}
	return ok ? c : 0;
}

static int id_matches(txMachine *the, const image_module_t *m, int i, txID id)
{
	(void)the;
	return (txID)rd16(m->ids + 2 * i) == id;
}

/* Registers a part's linked symbols and decides how its code runs (in place, relocated, bad). */
static void link_part(txMachine *the, int part)
{
	const image_t *image = &images[part];
	part_code[part] = CODE_RAM;
	if (image->status != IMAGE_OK)
		return;
	int linked = 0, match = 1;
	for (uint32_t i = 0; i < image->module_count; i++) {
		image_module_t m;
		image_module(image, i, &m);
		if (!m.ids)
			continue;
		linked = 1;
		int r = walk_symbols(the, &m, id_matches);
		if (r < 0) {
			part_code[part] = CODE_BAD;
			break;
		}
		if (r == 0)
			match = 0;
	}
	if (linked && part_code[part] != CODE_BAD)
		part_code[part] = match ? CODE_FLASH : CODE_RELOCATE;
}

static void register_linked_symbols(txMachine *the)
{
	for (int part = 0; part < IMAGE_PART_COUNT; part++)
		link_part(the, part);
}

typedef struct { txID linked, actual; } id_pair_t;

static int compare_pairs(const void *a, const void *b)
{
	return ((const id_pair_t *)a)->linked - ((const id_pair_t *)b)->linked;
}

/* A RAM copy of a linked module's code with the ids its symbols really have. */
static txByte *relocate(txMachine *the, const image_module_t *m)
{
	uint32_t n = m->id_count;
	id_pair_t *pairs = c_malloc(n * sizeof(id_pair_t));
	txByte *code = c_malloc(m->code_size);
	if (!pairs || !code) {
		c_free(pairs);
		c_free(code);
		return NULL;
	}
	const uint8_t *p = m->symbols + sizeof(txID);
	for (uint32_t i = 1; i < n; i++) {
		pairs[i - 1].linked = (txID)rd16(m->ids + 2 * i);
		pairs[i - 1].actual = fxNewNameX(the, (txString)p);   /* registered at boot: a lookup */
		p += strlen((const char *)p) + 1;
	}
	qsort(pairs, n - 1, sizeof(id_pair_t), compare_pairs);
	c_memcpy(code, m->code, m->code_size);
	txByte *q = code, *end = code + m->code_size;
	while (q < end) {
		txS1 offset = gxCodeSizes[*(txU1 *)q];
		if (offset > 0)
			q += offset;
		else if (offset == 0) {
			if (end - q < 1 + (int)sizeof(txID))
				break;
			txID id = (txID)rd16((uint8_t *)q + 1);
			if (id != XS_NO_ID) {
				id_pair_t key = { id, 0 };
				id_pair_t *hit = bsearch(&key, pairs, n - 1, sizeof(id_pair_t), compare_pairs);
				if (!hit) {
					c_free(pairs);
					c_free(code);
					return NULL;
				}
				q[1] = (txByte)(hit->actual & 0xFF);
				q[2] = (txByte)((uint16_t)hit->actual >> 8);
			}
			q += 1 + sizeof(txID);
		}
		else if (offset == -1)
			q += 2 + *(txU1 *)(q + 1);
		else if (offset == -2)
			q += 3 + rd16((uint8_t *)q + 1);
		else
			q += 5 + (uint32_t)(rd16((uint8_t *)q + 1) | (uint32_t)rd16((uint8_t *)q + 3) << 16);
	}
	c_free(pairs);
	return code;
}

static const image_t *find_module(const char *path, image_module_t *m)
{
	const image_t *image = &images[module_part(path)];
	return image_find(image, path, m) >= 0 ? image : NULL;
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
	(void)realm;
	image_module_t m;
	const char *referrer = moduleID == XS_NO_ID ? NULL : fxGetKeyName(the, moduleID);
	fxToStringBuffer(the, slot, name, sizeof(name));
	if (!resolve_path(path, sizeof(path), referrer, name))
		return XS_NO_ID;
	if (!import_allowed(referrer, path)) {
		refused_imports++;
		mxTypeError("%s may not import %s", referrer, path);
	}
	if (!find_module(path, &m))
		return XS_NO_ID;
	return fxNewNameC(the, path);
}

void fxLoadModule(txMachine *the, txSlot *module, txID moduleID)
{
	txString path = fxGetKeyName(the, moduleID);
	image_module_t m;
	if (!find_module(path, &m))
		return;
	int code_kind = part_code[module_part(path)];
	if (m.ids) {
		/* linked: the script carries no symbols, so XS neither remaps nor frees the code */
		txScript script;
		c_memset(&script, 0, sizeof(script));
		if (code_kind == CODE_FLASH)
			script.codeBuffer = (txByte *)m.code;
		else if (code_kind == CODE_RELOCATE) {
			script.codeBuffer = relocate(the, &m);   /* kept for the machine's life */
			if (!script.codeBuffer)
				mxUnknownError("cannot relocate %s", path);
		}
		else
			mxUnknownError("%s: malformed symbol table", path);
		if (code_kind == CODE_FLASH) code_bytes_flash += m.code_size; else code_bytes_ram += m.code_size;
		script.codeSize = (txSize)m.code_size;
		script.path = path;
		script.version[0] = XS_MAJOR_VERSION;
		script.version[1] = XS_MINOR_VERSION;
		script.version[2] = XS_PATCH_VERSION;
		fxResolveModule(the, module, moduleID, &script, C_NULL, C_NULL);
		return;
	}
	/* plain compiled code: fxRunScript rewrites symbol ids in the code and frees the buffers */
	txScript *script = c_calloc(1, sizeof(txScript));
	if (!script)
		fxAbort(the, XS_NOT_ENOUGH_MEMORY_EXIT);
	script->symbolsBuffer = c_malloc(m.symbols_size);
	script->codeBuffer = c_malloc(m.code_size);
	if (!script->symbolsBuffer || !script->codeBuffer) {
		fxDeleteScript(script);
		mxUnknownError("not enough memory to load %s", path);
	}
	c_memcpy(script->symbolsBuffer, m.symbols, m.symbols_size);
	c_memcpy(script->codeBuffer, m.code, m.code_size);
	code_bytes_ram += m.code_size;
	script->symbolsSize = (txSize)m.symbols_size;
	script->codeSize = (txSize)m.code_size;
	script->path = path;
	script->version[0] = XS_MAJOR_VERSION;
	script->version[1] = XS_MINOR_VERSION;
	script->version[2] = XS_PATCH_VERSION;
	fxResolveModule(the, module, moduleID, script, C_NULL, C_NULL);
}

/* ---- buffers passed to natives ---- */

void runtime_buffer(xsMachine *the, xsSlot *slot, void **data, size_t *length)
{
	/* The pointer is valid until script runs again (the collector may move chunks).
	 * Typed arrays and DataViews are read from their internal slots (view, then buffer: what
	 * their buffer/byteOffset/byteLength getters read), without calling those getters. */
	txSlot *s = (txSlot *)slot;
	if (s->kind == XS_REFERENCE_KIND) {
		txSlot *view = s->value.reference->next;
		if (view && (view->flag & XS_INTERNAL_FLAG) && view->kind == XS_ARRAY_BUFFER_KIND) {
			*data = view->value.arrayBuffer.address;
			*length = *data ? (size_t)view->next->value.bufferInfo.length : 0;
			return;
		}
		if (view && (view->flag & XS_INTERNAL_FLAG) && view->kind == XS_TYPED_ARRAY_KIND)
			view = view->next;
		txSlot *buffer = view && (view->flag & XS_INTERNAL_FLAG) && view->kind == XS_DATA_VIEW_KIND ? view->next : NULL;
		txSlot *arrayBuffer = buffer && buffer->kind == XS_REFERENCE_KIND ? buffer->value.reference->next : NULL;
		if (arrayBuffer && arrayBuffer->kind == XS_ARRAY_BUFFER_KIND) {
			txInteger size = fxGetDataViewSize(the, view, buffer);
			*data = arrayBuffer->value.arrayBuffer.address ? (uint8_t *)arrayBuffer->value.arrayBuffer.address + view->value.dataView.offset : NULL;
			*length = *data ? (size_t)size : 0;
			return;
		}
	}
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
	/* rounded up: waking before a fractional deadline would find nothing due and ask again,
	 * a spin that on the simulated clock never ends (time moves only between wake-ups) */
	double when = c_ceil(xsToNumber(xsArg(0)));
	uint32_t now = board_millis();
	wake_at = !(when > now) ? now : (when > (double)UINT32_MAX ? UINT32_MAX : (uint32_t)when);
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

/* SYS TIME <unix s>: sets the host's wall clock, which Date reads (every part, and LEGAL at its
 * start); returns what the host now adds to its own clock, ms. */
void xs_sys_set_time(xsMachine *the)
{
	double ms = xsToNumber(xsArg(0));
	if (!(ms >= 0 && ms < 9.0e15))
		xsRangeError("time %g ms", ms);
	board_set_time_ms((int64_t)ms);
	xsResult = xsNumber((double)board_time_offset_ms());
}

void xs_sys_time_offset(xsMachine *the)
{
	xsResult = xsNumber((double)board_time_offset_ms());
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
	xsSet(xsResult, xsID("stackPeak"), xsInteger((xsIntegerValue)xs_stack_peak(the)));
	{
		size_t used, arena;
		heap_usage(&used, &arena);
		xsSet(xsResult, xsID("heapUsed"), xsNumber(used));
		xsSet(xsResult, xsID("heapPeak"), xsNumber(arena));
	}
	xsSet(xsResult, xsID("heapSize"), xsNumber(board_heap_size()));
	{
		size_t used, size;
		const char *name;
		board_data_usage(&used, &size, &name);
		xsSet(xsResult, xsID("dataRamUsed"), xsNumber(used));
		xsSet(xsResult, xsID("dataRamSize"), xsNumber(size));
		xsSet(xsResult, xsID("dataRam"), xsString(name));
	}
	xsSet(xsResult, xsID("cStack"), xsNumber(board_stack_size()));
	xsSet(xsResult, xsID("cStackPeak"), xsNumber(board_stack_high_water()));
	xsSet(xsResult, xsID("rejections"), xsNumber(rejections));
	xsSet(xsResult, xsID("codeFlash"), xsNumber(code_bytes_flash));
	xsSet(xsResult, xsID("codeRam"), xsNumber(code_bytes_ram));
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
		static const char *const code_text[] = { "ram", "flash", "relocated", "bad" };
		xsSet(xsVar(0), xsID("code"), xsString(code_text[part_code[i]]));
		xsCall1(xsResult, xsID("push"), xsVar(0));
	}
}

/* ---- the runtime swap of a part (modules/generic/fwupdate.ts) ----
 * unload(part): the part's modules leave the program realm's module map, so that its next
 * import evaluates them afresh from the image then in its region (the one XS machine keeps
 * running: LEGAL and GENERIC are untouched), and the image is marked absent while its region
 * is rewritten. load(part): checks the region again (image table entry: version, hash, status)
 * and registers the new image's linked symbols (in place when the ids match, else relocated);
 * returns the status text. */
static int swap_part(xsMachine *the)
{
	int part = xsToInteger(xsArg(0));
	if (part <= IMAGE_PART_LEGAL || part >= IMAGE_PART_COUNT)
		xsRangeError("part %d is not PLC or NON-LEGAL", part);
	return part;
}

void xs_runtime_part_unload(xsMachine *the)
{
	int part = swap_part(the);
	txSlot *realm = mxModuleInstanceInternal(mxProgram.value.reference)->value.module.realm;
	txSlot *modules = mxOwnModules(realm)->value.reference;
	int forgotten = 0;
	/* the next link is kept before a delete unlinks the property (its slot lives until the collector runs) */
	for (txSlot *p = modules->next, *next; p; p = next) {
		next = p->next;
		txString name = p->ID != XS_NO_ID ? fxGetKeyName(the, p->ID) : NULL;
		if (name && module_part(name) == part && mxBehaviorDeleteProperty(the, modules, p->ID, 0))
			forgotten++;
	}
	images[part].status = IMAGE_ABSENT;
	xsResult = xsInteger(forgotten);
}

void xs_runtime_part_load(xsMachine *the)
{
	int part = swap_part(the);
	check_region((unsigned)part);
	link_part(the, part);
	xsResult = xsString(image_status_text(images[part].status));
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

__attribute__((weak)) const char *board_clock_text(void)
{
	return "mode=real";
}

void xs_sys_clock(xsMachine *the)
{
	xsResult = xsString(board_clock_text());
}

/* Boards without a watchdog: nothing to feed. */
__attribute__((weak)) void board_loop_alive(void)
{
}

void xs_sys_mask_irq(xsMachine *the)
{
	int ms = xsToInteger(xsArg(0));
	if (ms < 0 || ms > 10000)
		xsRangeError("mask %d ms: 0..10000", ms);
	board_mask_irq_ms((uint32_t)ms);
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
		board_loop_alive();
		run_jobs(the);
		int busy = 0;
		if (hooks_attached) {
			for (int port = 0; port < BOARD_UART_MAX; port++) {
				size_t n = uart_listening((unsigned)port) ? board_uart_available(port) : 0;
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

#ifdef METERFW_PREPARED
/* The machine prepared at build time (tools/xsprep, docs/xs-preparation.md): lockdown ran when
 * it was prepared, so the intrinsics in flash are frozen already. lockdown() keeps its contract:
 * the first call succeeds, a second one is refused, as XS's own. */
extern const txPreparation xsPreparation;

static void xs_lockdown_prepared(xsMachine *the)
{
	if (mxProgram.value.reference->flag & XS_DONT_MARSHALL_FLAG)
		mxTypeError("lockdown already called");
	mxProgram.value.reference->flag |= XS_DONT_MARSHALL_FLAG;
}
#endif

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
	regions = *config;
	for (int part = IMAGE_PART_LEGAL; part < IMAGE_PART_COUNT; part++)
		check_region((unsigned)part);

	xsCreation creation = build_creation;
#ifdef METERFW_PREPARED
	machine = fxPrepareMachine(&creation, (txPreparation *)&xsPreparation, "meterfw", NULL, NULL);
#else
	machine = xsCreateMachine(&creation, "meterfw", NULL);
#endif
	if (!machine) {
		runtime_print("FATAL xs: cannot create the machine\r\n");
		board_fatal(4);
	}
	txMachine *the = machine;
	paint_xs_stack(the);
#ifndef METERFW_PREPARED
	/* the key lockdown looks up, where a prepared machine has it: linked ids follow it either way
	 * (tools/build.mjs PREPARED_KEYS) */
	fxNewNameX(the, "harden");
#endif
	register_linked_symbols(the);   /* first: before anything else creates a key */
	xsBeginHost(the);
	{
		xsTry {
			xsVars(1);
			xsVar(0) = xsNewHostFunction(xs_native, 1);
			xsDefine(xsGlobal, xsID("native"), xsVar(0), xsDontEnum);
			/* SES-style freezing of the intrinsics before any part runs (XS's mxLockdown) */
#ifdef METERFW_PREPARED
			/* harden is the prepared global's (lockdown hardened it): inherited */
			xsVar(0) = xsNewHostFunction(xs_lockdown_prepared, 0);
#else
			xsVar(0) = xsNewHostFunction(fx_harden, 1);
			xsDefine(xsGlobal, xsID("harden"), xsVar(0), xsDontEnum);
			xsVar(0) = xsNewHostFunction(fx_lockdown, 0);
#endif
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
