/* Host-side bytecode compiler: parses ES modules with the XS parser and writes the compiled
 * script (symbol table + bytecode) that the device loads without a parser. It is built from the
 * same XS sources and the same platform header as the firmware (hosts/common/xsplatform.h),
 * so symbol ids are 16-bit and byte order little-endian, as on the Cortex-M4.
 *
 * usage: xsc IN.js OUT.xsb [IN.js OUT.xsb]...
 * OUT.xsb: "XSB1", u32 symbolsSize, u32 codeSize, u8 version[4], symbols, code (little-endian). */
#include "xsAll.h"
#include "xsScript.h"

#include <stdio.h>
#include <stdlib.h>

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

int main(int argc, char **argv)
{
	if (argc < 3 || (argc - 1) % 2) {
		fprintf(stderr, "usage: xsc IN.js OUT.xsb [IN.js OUT.xsb]...\n");
		return 2;
	}
	int failed = 0;
	for (int i = 1; i + 1 < argc; i += 2)
		failed |= compile(argv[i], argv[i + 1]);
	return failed ? 1 : 0;
}
