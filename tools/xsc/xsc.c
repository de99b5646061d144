/* Host-side bytecode compiler: parses ES modules with the XS parser and writes the compiled
 * script (symbol table + bytecode) that the device loads without a parser. It is built from the
 * same XS sources and the same platform header as the firmware (hosts/common/xsplatform.h),
 * so symbol ids are 16-bit and byte order little-endian, as on the Cortex-M4.
 *
 * usage: xsc IN.js OUT.xsb [IN.js OUT.xsb]...
 * OUT.xsb: "XSB1", u32 symbolsSize, u32 codeSize, u8 version[4], symbols, code (little-endian).
 *
 * usage: xsc --link [--keys NAME,...] IN.xsb OUT.xsl [IN.xsb OUT.xsl]...
 * --keys: names the firmware's machine holds after its built-ins before any module symbol (a
 * prepared machine: tools/xsprep, docs/xs-preparation.md), registered first, in that order.
 * Links compiled modules for execution in place from flash (see hosts/common/xsruntime.c,
 * "linked images"). A machine is created exactly as the firmware creates it; the symbols of
 * every module are registered in the order given (the order the firmware registers them at
 * boot: parts generic, legal, plc, nonlegal, each in image directory order), so each symbol
 * gets the key id the firmware will give it. The code is then rewritten as XS's own linker
 * would leave it in ROM: symbol operands hold those ids (fxRemapIDs), and function and string
 * literals use the *_ARCHIVE opcodes, which reference the bytecode in place instead of copying
 * it into the chunk heap.
 * OUT.xsl: "XSL1", u32 symbolsSize, u32 codeSize, u32 idCount, symbols, code, u16 ids[idCount]
 * (ids[0] is XS_NO_ID; ids[i] is the key id of symbol i). */
#include "xsAll.h"
#include "xsScript.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern void fxRemapIDs(txMachine *the, txByte *codeBuffer, txSize codeSize, txID *theIDs);

void fxCreateMachinePlatform(txMachine *the) { the->promiseJobs = 0; }
void fxDeleteMachinePlatform(txMachine *the) { (void)the; }
void fxQueuePromiseJobs(txMachine *the) { the->promiseJobs = 1; }
char *fxCStackLimit(void) { return C_NULL; }
txID fxFindModule(txMachine *the, txSlot *realm, txID moduleID, txSlot *slot) { (void)the; (void)realm; (void)moduleID; (void)slot; return XS_NO_ID; }
void fxLoadModule(txMachine *the, txSlot *module, txID moduleID) { (void)the; (void)module; (void)moduleID; }

void fxAbort(txMachine *the, int status)
{
	(void)the;
	fprintf(stderr, "xsc: XS abort %d\n", status);
	exit(1);
}

static void put32(FILE *f, uint32_t v)
{
	uint8_t b[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24) };
	fwrite(b, 1, 4, f);
}

static char *slurp(const char *path, size_t *size)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *buffer = malloc((size_t)n + 1);
	if (buffer && fread(buffer, 1, (size_t)n, f) != (size_t)n) {
		free(buffer);
		buffer = NULL;
	}
	fclose(f);
	if (buffer) {
		buffer[n] = 0;
		*size = (size_t)n;
	}
	return buffer;
}

/* Parser error reports go to stderr with the file name. */
static const char *current;

static void xsc_report_error(void *console, txString path, txInteger line, txString format, c_va_list arguments)
{
	(void)console;
	fprintf(stderr, "%s:%d: error: ", path ? path : current, (int)line);
	vfprintf(stderr, format, arguments);
	fprintf(stderr, "\n");
}

static void xsc_report_warning(void *console, txString path, txInteger line, txString format, c_va_list arguments)
{
	(void)console;
	fprintf(stderr, "%s:%d: warning: ", path ? path : current, (int)line);
	vfprintf(stderr, format, arguments);
	fprintf(stderr, "\n");
}

static int compile(const char *in, const char *out)
{
	size_t size;
	char *source = slurp(in, &size);
	if (!source) {
		fprintf(stderr, "xsc: cannot read %s\n", in);
		return 1;
	}
	current = in;
	txParser parser;
	txParserJump jump;
	txScript *script = NULL;
	txStringCStream stream = { source, 0, size };
	fxInitializeParser(&parser, C_NULL, 32 * 1024, 1993);
	parser.firstJump = &jump;
	parser.reportError = xsc_report_error;
	parser.reportWarning = xsc_report_warning;
	if (c_setjmp(jump.jmp_buf) == 0) {
		fxParserTree(&parser, &stream, fxStringCGetter, 0, NULL);   /* 0: module goal, strict */
		fxParserHoist(&parser);
		fxParserBind(&parser);
		script = fxParserCode(&parser);
	}
	int errors = parser.errorCount;
	fxTerminateParser(&parser);
	free(source);
	if (!script || errors) {
		fprintf(stderr, "xsc: %s: %d error(s)\n", in, errors ? errors : 1);
		fxDeleteScript(script);
		return 1;
	}
	FILE *f = fopen(out, "wb");
	if (!f) {
		fprintf(stderr, "xsc: cannot write %s\n", out);
		fxDeleteScript(script);
		return 1;
	}
	fwrite("XSB1", 1, 4, f);
	put32(f, (uint32_t)script->symbolsSize);
	put32(f, (uint32_t)script->codeSize);
	uint8_t version[4] = { XS_MAJOR_VERSION, XS_MINOR_VERSION, XS_PATCH_VERSION, 0 };
	fwrite(version, 1, 4, f);
	fwrite(script->symbolsBuffer, 1, (size_t)script->symbolsSize, f);
	fwrite(script->codeBuffer, 1, (size_t)script->codeSize, f);
	int bad = ferror(f);
	fclose(f);
	fxDeleteScript(script);
	return bad;
}

/* Function and string literals: the opcode that copies into chunks -> the one that references
 * the code in place. Operand layouts are identical (gxCodeSizes). */
static void archive_opcodes(txByte *code, txSize size)
{
	txByte *p = code, *q = code + size;
	while (p < q) {
		txU1 op = *(txU1 *)p;
		txS1 offset = gxCodeSizes[op];
		if (op >= XS_CODE_CODE_1 && op <= XS_CODE_CODE_4)
			*p = (txByte)(op - XS_CODE_CODE_1 + XS_CODE_CODE_ARCHIVE_1);
		else if (op >= XS_CODE_STRING_1 && op <= XS_CODE_STRING_4)
			*p = (txByte)(op - XS_CODE_STRING_1 + XS_CODE_STRING_ARCHIVE_1);
		if (offset > 0)
			p += offset;
		else if (offset == 0)
			p += 1 + sizeof(txID);
		else if (offset == -1)
			p += 2 + *(txU1 *)(p + 1);
		else if (offset == -2) {
			txU2 n = (txU2)(((txU1 *)p)[1] | (((txU1 *)p)[2] << 8));
			p += 3 + n;
		}
		else {
			txS4 n = (txS4)(((txU1 *)p)[1] | (((txU1 *)p)[2] << 8) | (((txU1 *)p)[3] << 16) | ((txU4)((txU1 *)p)[4] << 24));
			p += 5 + n;
		}
	}
}

static uint32_t get32(const uint8_t *b) { return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24; }

static int link_all(int count, char **paths, char *keys)
{
	txCreation creation = { 256 * 1024, 64 * 1024, 16 * 1024, 1024, 1024, 2048, 256, 1993, 127, 32 * 1024, 1993, 0 };
	txMachine *machine = fxCreateMachine(&creation, "xsc", NULL, XS_NO_ID);
	if (!machine) {
		fprintf(stderr, "xsc: cannot create a machine\n");
		return 1;
	}
	txMachine *the = machine;
	int failed = 0;
	for (char *name = keys ? strtok(keys, ",") : NULL; name; name = strtok(NULL, ","))
		fxNewNameC(the, name);
	for (int k = 0; k < count && !failed; k++) {
		const char *in = paths[2 * k], *out = paths[2 * k + 1];
		size_t size;
		char *b = slurp(in, &size);
		if (!b || size < 16 || memcmp(b, "XSB1", 4) || 16 + (size_t)get32((uint8_t *)b + 4) + get32((uint8_t *)b + 8) != size) {
			fprintf(stderr, "xsc: %s: not a compiled module\n", in);
			free(b);
			failed = 1;
			break;
		}
		uint32_t symbolsSize = get32((uint8_t *)b + 4), codeSize = get32((uint8_t *)b + 8);
		txByte *symbols = (txByte *)b + 16, *code = symbols + symbolsSize;
		txByte *p = symbols;
		txID c;
		mxDecodeID(p, c);
		txID *ids = calloc((size_t)c + 1, sizeof(txID));
		ids[0] = XS_NO_ID;
		for (txID i = 1; i < c; i++) {
			ids[i] = fxNewNameC(the, (txString)p);   /* same ids as fxNewNameX on the device */
			p += strlen((char *)p) + 1;
		}
		fxRemapIDs(the, code, (txSize)codeSize, ids);
		archive_opcodes(code, (txSize)codeSize);
		FILE *f = fopen(out, "wb");
		if (!f) {
			fprintf(stderr, "xsc: cannot write %s\n", out);
			failed = 1;
		}
		else {
			fwrite("XSL1", 1, 4, f);
			put32(f, symbolsSize);
			put32(f, codeSize);
			put32(f, (uint32_t)c);
			fwrite(symbols, 1, symbolsSize, f);
			fwrite(code, 1, codeSize, f);
			for (txID i = 0; i < c; i++) {
				uint8_t id[2] = { (uint8_t)ids[i], (uint8_t)((txU2)ids[i] >> 8) };
				fwrite(id, 1, 2, f);
			}
			failed |= ferror(f);
			fclose(f);
		}
		free(ids);
		/* the key strings are copies (fxNewNameC): the file buffer can go */
		free(b);
	}
	fxDeleteMachine(machine);
	return failed;
}

int main(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "--link")) {
		char *keys = NULL;
		if (argc >= 4 && !strcmp(argv[2], "--keys")) {
			keys = argv[3];
			argv += 2;
			argc -= 2;
		}
		if ((argc - 2) % 2) {
			fprintf(stderr, "usage: xsc --link [--keys NAME,...] IN.xsb OUT.xsl [IN.xsb OUT.xsl]...\n");
			return 2;
		}
		return link_all((argc - 2) / 2, argv + 2, keys) ? 1 : 0;
	}
	if (argc < 3 || (argc - 1) % 2) {
		fprintf(stderr, "usage: xsc IN.js OUT.xsb [IN.js OUT.xsb]...\n");
		return 2;
	}
	int failed = 0;
	for (int i = 1; i + 1 < argc; i += 2)
		failed |= compile(argv[i], argv[i + 1]);
	return failed ? 1 : 0;
}
