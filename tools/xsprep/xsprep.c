/* Build-time preparation of the XS machine (docs/xs-preparation.md).
 *
 * usage: xsprep OUT.c CHUNK HEAP STACK KEYS NAME_MODULO SYMBOL_MODULO
 *
 * Built for the build machine from the same patched XS sources, platform header and defines as
 * the firmware's engine. It creates the machine as the firmware would (the built-ins), defines
 * harden, runs lockdown (so the intrinsics are frozen before anything is written out), shares
 * the machine (XS's fxShareMachine: the collector runs, every slot is marked as not ours to
 * collect), gives every instance that can still change an alias index, then walks everything
 * reachable from the machine's stack, keys, name and symbol tables and writes it as C source:
 * const txSlot arrays whose pointer fields are symbolic (&xsPreparedHeap[123], C functions by
 * their names), so that the target's C compiler lays the slots out for its own slot size and
 * relocates them, and the txPreparation that fxPrepareMachine takes.
 *
 * In the output: strings are XS_STRING_X_KIND and key names XS_KEY_X_KIND, code XS_CODE_X_KIND
 * (the collector never marks what they point at); arrays and tables carry a chunk header whose
 * mark bit is set (the collector never walks them). Anything this writer does not know how to
 * express (a weak collection, a host object with data, a C function it cannot name) stops it
 * with an error: never a preparation that would be wrong on the device. */
#define _GNU_SOURCE
#include "xsAll.h"
#include "xs.h"

#include <dlfcn.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define mxChunkFlag 0x80000000

/* ---- platform hooks: the preparation runs no module and no job ---- */

void fxCreateMachinePlatform(txMachine *the) { the->host = C_NULL; the->promiseJobs = 0; }
void fxDeleteMachinePlatform(txMachine *the) { (void)the; }
void fxQueuePromiseJobs(txMachine *the) { the->promiseJobs = 1; }
char *fxCStackLimit(void) { return C_NULL; }
txID fxFindModule(txMachine *the, txSlot *realm, txID moduleID, txSlot *slot) { (void)the; (void)realm; (void)moduleID; (void)slot; return XS_NO_ID; }
void fxLoadModule(txMachine *the, txSlot *module, txID moduleID) { (void)the; (void)module; (void)moduleID; }
#ifndef mxParse
txScript *fxParseScript(txMachine *the, void *stream, txGetter getter, txUnsigned flags)
{
	(void)stream; (void)getter; (void)flags;
	mxSyntaxError("no parser in the preparation");
	return C_NULL;
}
#endif

void fxAbort(txMachine *the, int status)
{
	(void)the;
	fprintf(stderr, "xsprep: XS abort %d\n", status);
	exit(1);
}

enum { P_HEAP = 1, P_STACK, P_ARRAY, P_ITEM, P_STRING, P_CODE, P_BIGINT, P_TABLE };

static const txSlot *current;
typedef struct entry {
	const void *address;
	int kind;       /* P_... */
	int index;      /* heap/stack index, or the number of the array, string, code, bigint, table */
	int item;       /* P_ITEM: index in its array */
	int size;       /* P_BIGINT: bytes */
} entry_t;
static entry_t *lookup(const void *address);

static void fail(const char *what, const void *where)
{
	if (current) {
		entry_t *e = lookup(current);
		fprintf(stderr, "xsprep: writing slot %d (%s) of kind %d, ID %d, flag 0x%x\n", e->address ? e->index : -1,
			!e->address ? "?" : e->kind == P_STACK ? "stack" : e->kind == P_HEAP ? "heap" : "item", current->kind, current->ID, (unsigned)(txU1)current->flag);
	}
	fprintf(stderr, "xsprep: %s (%p)\n", what, where);
	exit(1);
}

/* ---- what each pointer becomes in the output ---- */


static entry_t *entries;
static size_t entry_mask;
static size_t entry_count;

static entry_t *lookup(const void *address)
{
	size_t h = ((uintptr_t)address >> 3) * 0x9E3779B97F4A7C15ull;
	for (size_t i = h & entry_mask;; i = (i + 1) & entry_mask) {
		if (!entries[i].address || entries[i].address == address)
			return &entries[i];
	}
}

static entry_t *add(const void *address, int kind, int index, int item)
{
	entry_t *e = lookup(address);
	if (!e->address) {
		if (++entry_count * 2 > entry_mask)
			fail("too many objects", address);
		e->address = address;
		e->kind = kind;
		e->index = index;
		e->item = item;
	}
	return e;
}

/* heap slots in the order they are found; stack slots apart (they are the machine's roots) */
static txSlot **heap;
static int heap_count, heap_size;
static txSlot **arrays;      /* first item of each array chunk */
static int array_count, array_size;
static int string_count, code_count, bigint_count, table_count;

static void push_array(txSlot *address)
{
	if (array_count == array_size) {
		array_size = array_size ? array_size * 2 : 64;
		arrays = realloc(arrays, (size_t)array_size * sizeof(txSlot *));
	}
	arrays[array_count++] = address;
}

static txMachine *machine;

/* data in the machine's chunk heap (a txChunk header before it), or elsewhere (engine constants) */
static int in_chunks(const void *data)
{
	for (txBlock *block = machine->firstBlock; block; block = block->nextBlock)
		if ((const txByte *)data > (const txByte *)(block + 1) && (const txByte *)data < block->limit)
			return 1;
	return 0;
}

static txSize chunk_size(const void *data)
{
	if (!in_chunks(data))
		fail("data outside the chunk heap", data);
	return ((const txChunk *)((const txByte *)data - sizeof(txChunk)))->size & ~mxChunkFlag;
}

static void visit(txSlot *slot);

static void reach(txSlot *slot)
{
	if (!slot)
		return;
	entry_t *e = lookup(slot);
	if (e->address)
		return;
	if (heap_count == heap_size) {
		heap_size = heap_size ? heap_size * 2 : 1024;
		heap = realloc(heap, (size_t)heap_size * sizeof(txSlot *));
	}
	add(slot, P_HEAP, heap_count, 0);
	heap[heap_count++] = slot;
}

static void reach_array(txSlot *address)
{
	if (!address || lookup(address)->address)
		return;
	txSize n = chunk_size(address) / (txSize)sizeof(txSlot);
	int number = array_count;
	push_array(address);
	for (txSize i = 0; i < n; i++)
		add(&address[i], P_ITEM, number, (int)i);
}

static void reach_data(const void *data, int kind, int *counter)
{
	if (data && !lookup(data)->address)
		add(data, kind, (*counter)++, 0);
}

/* Every pointer a slot holds, by kind: what the output must be able to name. Array items are
 * visited with their arrays. */
static void visit(txSlot *slot)
{
	txSlot *next = slot->next;
	switch (slot->kind) {
	case XS_UNDEFINED_KIND:
	case XS_NULL_KIND:
	case XS_BOOLEAN_KIND:
	case XS_INTEGER_KIND:
	case XS_NUMBER_KIND:
	case XS_SYMBOL_KIND:
	case XS_DATE_KIND:
	case XS_AT_KIND:
	case XS_DATA_VIEW_KIND:
	case XS_BUFFER_INFO_KIND:
		break;
	case XS_STRING_KIND:
	case XS_STRING_X_KIND:
		reach_data(slot->value.string, P_STRING, &string_count);
		break;
	case XS_BIGINT_KIND:
	case XS_BIGINT_X_KIND:
		reach_data(slot->value.bigint.data, P_BIGINT, &bigint_count);
		lookup(slot->value.bigint.data)->size = (int)(slot->value.bigint.size * sizeof(txU4));
		break;
	case XS_KEY_KIND:
	case XS_KEY_X_KIND:
		reach_data(slot->value.key.string, P_STRING, &string_count);
		break;
	case XS_REFERENCE_KIND:
		reach(slot->value.reference);
		break;
	case XS_CLOSURE_KIND:
		reach(slot->value.closure);
		break;
	case XS_INSTANCE_KIND:
		if (slot->value.instance.garbage)
			fail("instance with garbage link", slot);
		reach(slot->value.instance.prototype);
		break;
	case XS_ARGUMENTS_SLOPPY_KIND:
	case XS_ARGUMENTS_STRICT_KIND:
	case XS_ARRAY_KIND:
	case XS_STACK_KIND:
		reach_array(slot->value.array.address);
		break;
	case XS_CALLBACK_KIND:
		reach(slot->value.callback.closures);
		break;
	case XS_CODE_KIND:
	case XS_CODE_X_KIND:
		reach_data(slot->value.code.address, P_CODE, &code_count);
		reach(slot->value.code.closures);
		break;
	case XS_HOME_KIND:
		reach(slot->value.home.object);
		reach(slot->value.home.module);
		break;
	case XS_ACCESSOR_KIND:
		reach(slot->value.accessor.getter);
		reach(slot->value.accessor.setter);
		break;
	case XS_ERROR_KIND:
		reach(slot->value.error.info);
		break;
	case XS_EXPORT_KIND:
		reach(slot->value.export.closure);
		reach(slot->value.export.module);
		break;
	case XS_PROXY_KIND:
		reach(slot->value.proxy.handler);
		reach(slot->value.proxy.target);
		break;
	case XS_PRIVATE_KIND:
		reach(slot->value.private.check);
		reach(slot->value.private.first);
		break;
	case XS_LIST_KIND:
		reach(slot->value.list.first);
		reach(slot->value.list.last);
		break;
	case XS_MODULE_KIND:
	case XS_PROGRAM_KIND:
		reach(slot->value.module.realm);
		break;
	case XS_HOST_KIND:
		if (slot->value.host.data)
			fail("host object with data", slot);
		break;
	case XS_TYPED_ARRAY_KIND:
		break;
	case XS_GLOBAL_KIND:
		if (slot->value.table.address) {
			reach_data(slot->value.table.address, P_TABLE, &table_count);
			lookup(slot->value.table.address)->size = slot->value.table.length;
			for (txSize i = 0; i < slot->value.table.length; i++)
				reach(slot->value.table.address[i]);
		}
		break;
	default:
		fprintf(stderr, "xsprep: slot kind %d cannot be prepared\n", slot->kind);
		exit(1);
	}
	if (next)
		reach(next);
}

/* ---- output ---- */

static FILE *out;

static const char *name_of(const void *address, const char *what)
{
	Dl_info info;
	if (!address)
		return "C_NULL";
	if (!dladdr(address, &info) || !info.dli_sname || info.dli_saddr != address) {
		fprintf(stderr, "xsprep: %s at %p has no exported name (static in the engine?)\n", what, address);
		exit(1);
	}
	return info.dli_sname;
}

static void pointer(const void *address)
{
	if (!address) {
		fputs("C_NULL", out);
		return;
	}
	entry_t *e = lookup(address);
	if (!e->address)
		fail("pointer to something not prepared", address);
	switch (e->kind) {
	case P_HEAP: fprintf(out, "&xsPreparedHeap[%d]", e->index); break;
	case P_STACK: fprintf(out, "&xsPreparedStack[%d]", e->index); break;
	case P_ITEM: fprintf(out, "&A%d.items[%d]", e->index, e->item); break;
	case P_STRING: fprintf(out, "(txString)S%d", e->index); break;
	case P_CODE: fprintf(out, "(txByte*)C%d", e->index); break;
	case P_BIGINT: fprintf(out, "(txU4*)B%d", e->index); break;
	case P_TABLE: fprintf(out, "(txSlot**)T%d.entries", e->index); break;
	default: fail("pointer of unknown kind", address);
	}
}

static void number(double d)
{
	if (isnan(d))
		fputs("__builtin_nan(\"\")", out);
	else if (isinf(d))
		fputs(d < 0 ? "-__builtin_inf()" : "__builtin_inf()", out);
	else
		fprintf(out, "%a", d);
}

static void bytes(char prefix, int index, const txU1 *data, size_t size)
{
	fprintf(out, "static const txU1 %c%d[%zu] __attribute__((aligned(4))) = {", prefix, index, size ? size : 1);
	for (size_t i = 0; i < size; i++)
		fprintf(out, "%s%u,", i % 24 ? "" : "\n\t", data[i]);
	fputs(size ? "\n};\n" : "0 };\n", out);
}

/* one slot as a designated initializer; item: an array item, whose next field holds its index */
static void slot_out(const txSlot *slot, int item)
{
	current = slot;
	txKind kind = slot->kind;
	if (kind == XS_STRING_KIND)
		kind = XS_STRING_X_KIND;
	else if (kind == XS_KEY_KIND)
		kind = XS_KEY_X_KIND;
	else if (kind == XS_CODE_KIND)
		kind = XS_CODE_X_KIND;
	else if (kind == XS_BIGINT_KIND)
		kind = XS_BIGINT_X_KIND;
	fputs("\t{ .next = ", out);
	if (item)
		fprintf(out, "(txSlot*)(uintptr_t)%uu", *(const txIndex *)slot);
	else
		pointer(slot->next);
	fprintf(out, ", .ID = %d, .flag = 0x%02x, .kind = %d", slot->ID, (unsigned)(txU1)slot->flag, kind);
	switch (slot->kind) {
	case XS_UNDEFINED_KIND:
	case XS_NULL_KIND:
		break;
	case XS_BOOLEAN_KIND:
		fprintf(out, ", .value.boolean = %d", slot->value.boolean);
		break;
	case XS_INTEGER_KIND:
		fprintf(out, ", .value.integer = %d", slot->value.integer);
		break;
	case XS_NUMBER_KIND:
	case XS_DATE_KIND:
		fputs(", .value.number = ", out);
		number(slot->value.number);
		break;
	case XS_SYMBOL_KIND:
		fprintf(out, ", .value.symbol = %d", slot->value.symbol);
		break;
	case XS_AT_KIND:
		fprintf(out, ", .value.at = { %uu, %d }", slot->value.at.index, slot->value.at.id);
		break;
	case XS_DATA_VIEW_KIND:
		fprintf(out, ", .value.dataView = { %d, %d }", slot->value.dataView.offset, slot->value.dataView.size);
		break;
	case XS_BUFFER_INFO_KIND:
		fprintf(out, ", .value.bufferInfo = { %d, %d }", slot->value.bufferInfo.length, slot->value.bufferInfo.maxLength);
		break;
	case XS_STRING_KIND:
	case XS_STRING_X_KIND:
		fputs(", .value.string = ", out);
		pointer(slot->value.string);
		break;
	case XS_BIGINT_KIND:
	case XS_BIGINT_X_KIND:
		fputs(", .value.bigint = { .data = ", out);
		pointer(slot->value.bigint.data);
		fprintf(out, ", .size = %u, .sign = %u }", slot->value.bigint.size, slot->value.bigint.sign);
		break;
	case XS_KEY_KIND:
	case XS_KEY_X_KIND:
		fputs(", .value.key = { ", out);
		pointer(slot->value.key.string);
		fprintf(out, ", %uu }", slot->value.key.sum);
		break;
	case XS_REFERENCE_KIND:
		fputs(", .value.reference = ", out);
		pointer(slot->value.reference);
		break;
	case XS_CLOSURE_KIND:
		fputs(", .value.closure = ", out);
		pointer(slot->value.closure);
		break;
	case XS_INSTANCE_KIND:
		fputs(", .value.instance = { C_NULL, ", out);
		pointer(slot->value.instance.prototype);
		fputs(" }", out);
		break;
	case XS_ARGUMENTS_SLOPPY_KIND:
	case XS_ARGUMENTS_STRICT_KIND:
	case XS_ARRAY_KIND:
	case XS_STACK_KIND:
		fputs(", .value.array = { ", out);
		pointer(slot->value.array.address);
		fprintf(out, ", %uu }", slot->value.array.length);
		break;
	case XS_CALLBACK_KIND:
		fprintf(out, ", .value.callback = { %s, ", name_of((const void *)slot->value.callback.address, "callback"));
		pointer(slot->value.callback.closures);
		fputs(" }", out);
		break;
	case XS_CODE_KIND:
	case XS_CODE_X_KIND:
		fputs(", .value.code = { ", out);
		pointer(slot->value.code.address);
		fputs(", ", out);
		pointer(slot->value.code.closures);
		fputs(" }", out);
		break;
	case XS_HOME_KIND:
		fputs(", .value.home = { ", out);
		pointer(slot->value.home.object);
		fputs(", ", out);
		pointer(slot->value.home.module);
		fputs(" }", out);
		break;
	case XS_ACCESSOR_KIND:
		fputs(", .value.accessor = { ", out);
		pointer(slot->value.accessor.getter);
		fputs(", ", out);
		pointer(slot->value.accessor.setter);
		fputs(" }", out);
		break;
	case XS_ERROR_KIND:
		fputs(", .value.error = { ", out);
		pointer(slot->value.error.info);
		fprintf(out, ", %d }", slot->value.error.which);
		break;
	case XS_EXPORT_KIND:
		fputs(", .value.export = { ", out);
		pointer(slot->value.export.closure);
		fputs(", ", out);
		pointer(slot->value.export.module);
		fputs(" }", out);
		break;
	case XS_PROXY_KIND:
		fputs(", .value.proxy = { ", out);
		pointer(slot->value.proxy.handler);
		fputs(", ", out);
		pointer(slot->value.proxy.target);
		fputs(" }", out);
		break;
	case XS_PRIVATE_KIND:
		fputs(", .value.private = { ", out);
		pointer(slot->value.private.check);
		fputs(", ", out);
		pointer(slot->value.private.first);
		fputs(" }", out);
		break;
	case XS_LIST_KIND:
		fputs(", .value.list = { ", out);
		pointer(slot->value.list.first);
		fputs(", ", out);
		pointer(slot->value.list.last);
		fputs(" }", out);
		break;
	case XS_MODULE_KIND:
	case XS_PROGRAM_KIND:
		fputs(", .value.module = { ", out);
		pointer(slot->value.module.realm);
		fprintf(out, ", %d }", slot->value.module.id);
		break;
	case XS_HOST_KIND:
		if (slot->flag & XS_HOST_HOOKS_FLAG)
			fprintf(out, ", .value.host = { C_NULL, .variant.hooks = (txHostHooks*)&%s }",
				name_of(slot->value.host.variant.hooks, "host hooks"));
		else
			fprintf(out, ", .value.host = { C_NULL, .variant.destructor = %s }",
				name_of((const void *)slot->value.host.variant.destructor, "host destructor"));
		break;
	case XS_TYPED_ARRAY_KIND: {
		int d = (int)(slot->value.typedArray.dispatch - gxTypeDispatches);
		int a = (int)(slot->value.typedArray.atomics - gxTypeAtomics);
		if (d < 0 || d >= mxTypeArrayCount || a < 0 || a >= mxTypeArrayCount)
			fail("typed array dispatch outside the tables", slot);
		fprintf(out, ", .value.typedArray = { (txTypeDispatch*)&gxTypeDispatches[%d], (txTypeAtomics*)&gxTypeAtomics[%d] }", d, a);
		break;
	}
	case XS_GLOBAL_KIND:
		fputs(", .value.table = { ", out);
		pointer(slot->value.table.address);
		fprintf(out, ", %d }", slot->value.table.length);
		break;
	default:
		fail("slot kind not written", slot);
	}
	fputs(" },\n", out);
}

static void string_literal(const char *s)
{
	fputc('"', out);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(out, "\\%c", *p);
		else if (*p < 32 || *p >= 127 || *p == '?')
			fprintf(out, "\\%03o", *p);
		else
			fputc(*p, out);
	}
	fputc('"', out);
}

/* Instances that can still change get an alias index from 1 (0 is XS_NO_ID: "never aliased",
 * which fxShare also gives the first instance it numbers); so do closures whose variable can be
 * set. The rules are fxShare's: an instance is frozen when it cannot be extended and none of
 * its properties (nor array items) can be set or deleted; but a hardened function's own
 * internal parts (its C callback or code, its home object), which no script can reach and the
 * engine writes only while building it, do not make it changeable: without this every
 * built-in function would cost an alias pointer in RAM. The firmware tests on lin check it: a
 * write to a prepared slot there is a write to read-only memory, a crash. */
static int function_part(const txSlot *property)
{
	return property->kind == XS_CALLBACK_KIND || property->kind == XS_CODE_KIND || property->kind == XS_CODE_X_KIND || property->kind == XS_HOME_KIND;
}

static int frozen(txMachine *the, txSlot *instance)
{
	if (!(instance->flag & XS_DONT_PATCH_FLAG))
		return 0;
	for (txSlot *property = instance->next; property; property = property->next) {
		if (property->kind == XS_ARRAY_KIND) {
			txSlot *item = property->value.array.address;
			txInteger length = (txInteger)fxGetIndexSize(the, property);
			for (; length > 0; item++, length--) {
				if (item->kind != XS_ACCESSOR_KIND && !(item->flag & XS_DONT_SET_FLAG))
					return 0;
				if (!(item->flag & XS_DONT_DELETE_FLAG))
					return 0;
			}
		}
		else if ((instance->flag & XS_DONT_MARSHALL_FLAG) && (property->flag & XS_INTERNAL_FLAG) && function_part(property))
			continue;
		else {
			if (property->kind != XS_ACCESSOR_KIND && !(property->flag & XS_DONT_SET_FLAG))
				return 0;
			if (!(property->flag & XS_DONT_DELETE_FLAG))
				return 0;
		}
	}
	return 1;
}

static int number_aliases(txMachine *the)
{
	int count = 1;
	for (int i = 0; i < heap_count; i++) {
		txSlot *slot = heap[i];
		if (slot->kind == XS_CLOSURE_KIND && slot->value.closure && !(slot->value.closure->flag & XS_DONT_SET_FLAG))
			slot->value.closure->ID = XS_NO_ID;
	}
	for (int i = 0; i < heap_count; i++) {
		txSlot *slot = heap[i];
		if (slot->kind == XS_INSTANCE_KIND) {
			slot->ID = frozen(the, slot) ? XS_NO_ID : (txID)count++;
		}
		else if (slot->kind == XS_CLOSURE_KIND && slot->value.closure && !(slot->value.closure->flag & XS_DONT_SET_FLAG)) {
			if (slot->value.closure->ID == XS_NO_ID)
				slot->value.closure->ID = (txID)count++;
		}
		if (count > 0x7FFF)
			fail("too many aliases", slot);
	}
	return count;
}

int main(int argc, char **argv)
{
	if (argc != 8) {
		fprintf(stderr, "usage: xsprep OUT.c CHUNK HEAP STACK KEYS NAME_MODULO SYMBOL_MODULO\n");
		return 2;
	}
	txCreation creation;
	c_memset(&creation, 0, sizeof(creation));
	creation.initialChunkSize = atoi(argv[2]);
	creation.incrementalChunkSize = 4096;
	creation.initialHeapCount = atoi(argv[3]);
	creation.incrementalHeapCount = 1024;
	creation.stackCount = atoi(argv[4]);
	creation.initialKeyCount = atoi(argv[5]);
	creation.incrementalKeyCount = 256;
	creation.nameModulo = atoi(argv[6]);
	creation.symbolModulo = atoi(argv[7]);
	machine = fxCreateMachine(&creation, "xsprep", NULL, XS_NO_ID);
	if (!machine)
		fail("cannot create the machine", NULL);
	txMachine *the = machine;
	/* as the firmware does before its main module runs, then lockdown (which calls harden) */
	xsBeginHost(the);
	{
		xsVars(1);
		xsVar(0) = xsNewHostFunction(fx_harden, 1);
		xsDefine(xsGlobal, xsID("harden"), xsVar(0), xsDontEnum);
		xsVar(0) = xsNewHostFunction(fx_lockdown, 0);
		xsCallFunction0(xsVar(0), xsGlobal);
		/* The firmware's global object is a new one whose prototype is this global (that is how
		 * XS clones a prepared machine), so this one, holding the intrinsics, is hardened too:
		 * hardening the firmware's global later stops at it instead of writing to flash. */
		xsCall1(xsGlobal, xsID("harden"), xsGlobal);
	}
	xsEndHost(the);
	{
		txSlot *global = mxGlobal.value.reference;   /* before sharing: lookups then need no alias table */
		txSlot *globals = global->next;
		if (globals->kind != XS_GLOBAL_KIND)
			fail("the global object has no intrinsics table", global);
		for (txID id = XS_SYMBOL_ID_COUNT; id < globals->value.table.length; id++)
			if (!globals->value.table.address[id])
				globals->value.table.address[id] = fxOrdinaryGetProperty(the, global, id, 0, XS_OWN);
	}
	fxShareMachine(the);

	entry_mask = (1u << 20) - 1;
	entries = calloc(entry_mask + 1, sizeof(entry_t));
	/* roots: the stack from its top (the machine's intrinsics), keys, names, symbols */
	int stack_count = (int)(the->stackTop - the->stack);
	for (int i = 0; i < stack_count; i++)
		add(&the->stack[i], P_STACK, i, 0);
	for (int i = 0; i < stack_count; i++)
		visit(&the->stack[i]);
	for (txID i = 1; i < the->keyIndex; i++)
		reach(the->keyArray[i]);
	for (txSize i = 0; i < the->nameModulo; i++)
		reach(the->nameTable[i]);
	for (txSize i = 0; i < the->symbolModulo; i++)
		reach(the->symbolTable[i]);
	for (int i = 0; i < heap_count; i++)
		visit(heap[i]);
	for (int a = 0; a < array_count; a++) {
		txSize n = chunk_size(arrays[a]) / (txSize)sizeof(txSlot);
		for (txSize i = 0; i < n; i++) {
			txSlot *item = &arrays[a][i];
			txSlot *next = item->next;
			item->next = C_NULL;   /* an item's next field holds its index, not a link */
			visit(item);
			item->next = next;
		}
		for (int i = 0; i < heap_count; i++)
			visit(heap[i]);
	}
	int alias_count = number_aliases(the);

	out = fopen(argv[1], "w");
	if (!out)
		fail("cannot write the output", NULL);
	fprintf(out, "/* generated by tools/xsprep: the XS machine prepared at build time (docs/xs-preparation.md) */\n"
		"#include \"xsAll.h\"\n\n"
		"/* the engine this preparation was written for: checked when it is compiled */\n"
		"_Static_assert(XS_MAJOR_VERSION == %d && XS_MINOR_VERSION == %d && XS_PATCH_VERSION == %d, \"preparation written for another XS version\");\n"
		"_Static_assert(sizeof(txID) == %zu, \"preparation written for another ID width\");\n"
		"_Static_assert(XS_INTRINSICS_COUNT == %d && XS_SYMBOL_ID_COUNT == %d && XS_ID_COUNT == %d, \"preparation written for another set of built-ins\");\n"
		"_Static_assert(mxTypeArrayCount == %d, \"preparation written for other typed arrays\");\n\n",
		XS_MAJOR_VERSION, XS_MINOR_VERSION, XS_PATCH_VERSION, sizeof(txID), XS_INTRINSICS_COUNT, XS_SYMBOL_ID_COUNT, XS_ID_COUNT, mxTypeArrayCount);
	fprintf(out, "extern const txSlot xsPreparedHeap[%d];\nextern const txSlot xsPreparedStack[%d];\n", heap_count, stack_count);
	/* callbacks and hooks by name */
	{
		for (int pass = 0; pass < 2; pass++) {
			for (int i = 0; i < heap_count + stack_count; i++) {
				txSlot *slot = i < heap_count ? heap[i] : &the->stack[i - heap_count];
				if (pass == 0 && slot->kind == XS_CALLBACK_KIND)
					fprintf(out, "extern void %s(txMachine*);\n", name_of((const void *)slot->value.callback.address, "callback"));
			}
			for (int a = 0; pass == 1 && a < array_count; a++) {
				txSize n = chunk_size(arrays[a]) / (txSize)sizeof(txSlot);
				for (txSize i = 0; i < n; i++)
					if (arrays[a][i].kind == XS_CALLBACK_KIND)
						fprintf(out, "extern void %s(txMachine*);\n", name_of((const void *)arrays[a][i].value.callback.address, "callback"));
			}
		}
	}
	/* strings, code, big integers: emitted in the order they were numbered */
	for (size_t i = 0; i <= entry_mask; i++) {
		entry_t *e = &entries[i];
		if (!e->address)
			continue;
		if (e->kind == P_STRING) {
			fprintf(out, "static const char S%d[] = ", e->index);
			string_literal((const char *)e->address);
			fputs(";\n", out);
		}
		else if (e->kind == P_CODE && in_chunks(e->address))
			bytes('C', e->index, (const txU1 *)e->address, (size_t)chunk_size(e->address));
		else if (e->kind == P_CODE)
			fprintf(out, "extern const txByte %s[];\n#define C%d %s\n", name_of(e->address, "code"), e->index, name_of(e->address, "code"));
		else if (e->kind == P_BIGINT)
			bytes('B', e->index, (const txU1 *)e->address, (size_t)e->size);
	}
	/* arrays: a chunk header (marked: the collector never walks a prepared array) and the items */
	for (int a = 0; a < array_count; a++) {
		txSize n = chunk_size(arrays[a]) / (txSize)sizeof(txSlot);
		fprintf(out, "struct A%d_t { txChunk chunk; txSlot items[%d]; };\nstatic const struct A%d_t A%d;\n", a, n ? n : 1, a, a);
	}
	for (int a = 0; a < array_count; a++) {
		txSize n = chunk_size(arrays[a]) / (txSize)sizeof(txSlot);
		fprintf(out, "static const struct A%d_t A%d = {\n\t{ (txSize)(0x80000000u | (%d * sizeof(txSlot))), C_NULL },\n\t{\n", a, a, n);
		for (txSize i = 0; i < n; i++)
			slot_out(&arrays[a][i], 1);
		if (!n)
			fputs("\t{ 0 },\n", out);
		fputs("\t}\n};\n", out);
	}
	/* the global object's cache of intrinsics (txSlot* per id): XS fills it on lookups, so it
	 * is the one prepared thing in RAM (.data), filled here so that lookups find it complete */
	for (size_t i = 0; i <= entry_mask; i++) {
		entry_t *e = &entries[i];
		if (!e->address || e->kind != P_TABLE)
			continue;
		txSize n = chunk_size(e->address) / (txSize)sizeof(txSlot *);
		txSize length = e->size;
		fprintf(out, "static struct { txChunk chunk; txSlot* entries[%d]; } T%d = {\n\t{ (txSize)(0x80000000u | (%d * sizeof(txSlot*))), C_NULL },\n\t{", n ? n : 1, e->index, n);
		for (txSize j = 0; j < length; j++) {
			fputs(j % 4 ? " " : "\n\t\t", out);
			pointer(((txSlot *const *)e->address)[j]);
			fputc(',', out);
		}
		fputs(length ? "\n\t}\n};\n" : " C_NULL }\n};\n", out);
	}
	fprintf(out, "\nconst txSlot xsPreparedHeap[%d] = {\n", heap_count);
	for (int i = 0; i < heap_count; i++)
		slot_out(heap[i], 0);
	fprintf(out, "};\n\nconst txSlot xsPreparedStack[%d] = {\n", stack_count);
	for (int i = 0; i < stack_count; i++)
		slot_out(&the->stack[i], 0);
	fprintf(out, "};\n\nstatic txSlot* const keys[%d] = {", the->keyIndex);
	for (txID i = 0; i < the->keyIndex; i++) {
		fputs(i % 4 ? " " : "\n\t", out);
		pointer(i ? the->keyArray[i] : C_NULL);
		fputc(',', out);
	}
	fprintf(out, "\n};\n\nstatic txSlot* const names[%d] = {", the->nameModulo);
	for (txSize i = 0; i < the->nameModulo; i++) {
		fputs(i % 4 ? " " : "\n\t", out);
		pointer(the->nameTable[i]);
		fputc(',', out);
	}
	fprintf(out, "\n};\n\nstatic txSlot* const symbols[%d] = {", the->symbolModulo);
	for (txSize i = 0; i < the->symbolModulo; i++) {
		fputs(i % 4 ? " " : "\n\t", out);
		pointer(the->symbolTable[i]);
		fputc(',', out);
	}
	fprintf(out, "\n};\n\n");
	fprintf(out,
		"/* heap %d slots, stack %d, keys %d, aliases %d, arrays %d, strings %d, code %d */\n"
		"const txPreparation xsPreparation = {\n"
		"\t{ XS_MAJOR_VERSION, XS_MINOR_VERSION, XS_PATCH_VERSION, 0 },\n"
		"\t%d,\n\t%d, (txSlot*)xsPreparedHeap,\n\t%d, (txSlot*)xsPreparedStack,\n"
		"\tC_NULL, %d, (txSlot**)keys,\n\t%d, (txSlot**)names,\n\t%d, (txSlot**)symbols,\n"
		"\t0, C_NULL,\n\t%d,\n"
		"\t{ %d, %d, %d, %d, %d, %d, %d, %d, %d, %d, %d, 0 },\n"
		"\tC_NULL,\n\t{ 0 }\n};\n",
		heap_count, stack_count, the->keyIndex, alias_count, array_count, string_count, code_count,
		alias_count, heap_count, stack_count, the->keyIndex, the->nameModulo, the->symbolModulo, the->profileID,
		creation.initialChunkSize, creation.incrementalChunkSize, creation.initialHeapCount, creation.incrementalHeapCount,
		creation.stackCount, creation.initialKeyCount, creation.incrementalKeyCount, creation.nameModulo, creation.symbolModulo,
		creation.parserBufferSize, creation.parserTableModulo);
	if (fclose(out))
		fail("cannot write the output", NULL);
	fprintf(stderr, "xsprep: heap %d slots, stack %d, keys %d, aliases %d\n", heap_count, stack_count, the->keyIndex, alias_count);
	return 0;
}
