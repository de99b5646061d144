/* Test harness for patches/xs/0001-parser-out-of-memory.patch (trap 1 of XS-ON-CORTEX-M.md):
 * the XS parser must end in a clean error, never a crash nor a leak, when memory runs out at
 * any allocation of a parse, fxInitializeParser included.
 *
 * Built by test/xs/parser-oom.test.ts with the project's XS defines plus -DmxParse=1 and linked
 * with -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc,--wrap=free,--wrap=fxParseScript, so that
 * allocations are counted (and refused) only while a parse runs, not while the machine runs the
 * parsed code.
 *
 * For each mode and each failure model, a calibration child counts the allocations T that one
 * parse makes; then for every N in 0..T a forked child parses with allocation number N refused
 * ("after": N and every later one, memory stays full; "once": only N, memory comes back).
 * Modes:
 *   eval  the machine: indirect eval() of a script, through XS's default fxParseScript
 *         (console = the machine); the error must reach the caller as a JS exception.
 *   xsc   the parser driven as tools/xsc/xsc.c does (console NULL, module goal): the parse
 *         must end with errors and no script.
 * Each child then parses again with memory available (the machine and the parser must still
 * work) and checks that nothing allocated during the failed parse is still allocated.
 *
 * Output, one line per child:  MODE MODEL N exit CODE DETAIL  |  MODE MODEL N signal SIG
 * and one line per calibration:  MODE MODEL total T.  The harness exits 0 unless it fails itself. */
#include "xsAll.h"
#include "xsScript.h"
#include "xs.h"

#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

/* ---- platform hooks the project's xsplatform.h leaves to the host (as tools/xsc/xsc.c) ---- */
void fxCreateMachinePlatform(txMachine *the) { the->promiseJobs = 0; }
void fxDeleteMachinePlatform(txMachine *the) { (void)the; }
void fxQueuePromiseJobs(txMachine *the) { the->promiseJobs = 1; }
char *fxCStackLimit(void) { return C_NULL; }
txID fxFindModule(txMachine *the, txSlot *realm, txID moduleID, txSlot *slot) { (void)the; (void)realm; (void)moduleID; (void)slot; return XS_NO_ID; }
void fxLoadModule(txMachine *the, txSlot *module, txID moduleID) { (void)the; (void)module; (void)moduleID; }

void fxAbort(txMachine *the, int status)
{
	(void)the;
	char line[64];
	int n = snprintf(line, sizeof(line), "abort %d\n", status);
	(void)!write(2, line, (size_t)n);
	_exit(3);
}

/* ---- counting allocator ---- */
void *__real_malloc(size_t size);
void *__real_calloc(size_t count, size_t size);
void *__real_realloc(void *p, size_t size);
void __real_free(void *p);

static int armed;            /* allocations are counted and tracked only while a parse runs */
static long refuseAt = -1;   /* index of the first refused allocation; -1: none */
static int refuseOnce;       /* refuse only allocation refuseAt, not the following ones */
static long requests;        /* allocation requests while armed */
static long refused;
#define TRACK_MAX 100000
static void *tracked[TRACK_MAX]; /* blocks allocated while armed and not freed yet */
static int trackedCount, trackOverflow;

static int refuse(void)
{
	long i = requests++;
	if (refuseAt >= 0 && (refuseOnce ? i == refuseAt : i >= refuseAt)) {
		refused++;
		return 1;
	}
	return 0;
}
static void track(void *p)
{
	if (trackedCount < TRACK_MAX)
		tracked[trackedCount++] = p;
	else
		trackOverflow = 1;
}
static void untrack(void *p)
{
	for (int i = trackedCount - 1; i >= 0; i--)
		if (tracked[i] == p) {
			tracked[i] = tracked[--trackedCount];
			return;
		}
}
void *__wrap_malloc(size_t size)
{
	if (!armed)
		return __real_malloc(size);
	if (refuse())
		return NULL;
	void *p = __real_malloc(size);
	if (p)
		track(p);
	return p;
}
void *__wrap_calloc(size_t count, size_t size)
{
	if (!armed)
		return __real_calloc(count, size);
	if (refuse())
		return NULL;
	void *p = __real_calloc(count, size);
	if (p)
		track(p);
	return p;
}
void *__wrap_realloc(void *old, size_t size)
{
	if (!armed)
		return __real_realloc(old, size);
	if (refuse())
		return NULL;
	void *p = __real_realloc(old, size);
	if (p) {
		if (old)
			untrack(old);
		track(p);
	}
	return p;
}
void __wrap_free(void *p)
{
	if (p)
		untrack(p);
	__real_free(p);
}

/* eval(): only the parse is armed, not the run of the parsed code. */
txScript *__real_fxParseScript(txMachine *the, void *stream, txGetter getter, txUnsigned flags);
static int armEval;
txScript *__wrap_fxParseScript(txMachine *the, void *stream, txGetter getter, txUnsigned flags)
{
	armed = armEval;
	txScript *script = __real_fxParseScript(the, stream, getter, flags);
	armed = 0;
	return script;
}

/* ---- what is parsed: a bit of everything the lexer, parser, scoper and coder handle ---- */
static const char source[] =
	"var o = { a: 1, b: [2, 3], 'c': \"str\\u0041\", d: 0x1F, e: 1.5e3, f: 12345678901234567890n };\n"
	"function f(x, ...rest) { let s = 0; for (const v of rest) s += v; return x * s; }\n"
	"class C { #p = 7; static q = 2; get p() { return this.#p; } m(y = 1) { return `${this.#p}:${y}`; } }\n"
	"const r = /([a-z]+)\\d*/gi;\n"
	"const g = function* () { yield 1; yield 2; };\n"
	"label: for (let i = 0; i < 3; i++) { if (i == 1) continue label; }\n"
	"try { throw new Error('x'); } catch ({ message }) { }\n"
	"const { a, ...others } = o;\n"
	"f(2, 3, 4) + new C().p + o.b[1] + [...g()].length;\n";
#define EXPECTED 26   /* 18 + 7 + 3 + 2 */

static txMachine *machine;
static char detail[512];

static void put(const char *text)
{
	(void)!write(1, text, strlen(text));
}

/* eval mode: 1 = the result, 0 = an exception (its text in detail) */
static int run_eval(int arm)
{
	txMachine *the = machine;
	int ok = 0;
	xsBeginHost(the);
	{
		xsVars(2);
		xsVar(0) = xsGet(xsGlobal, xsID("eval"));
		xsVar(1) = xsString((char *)source);
		xsTry {
			armEval = arm;
			xsResult = xsCallFunction1(xsVar(0), xsUndefined, xsVar(1));   /* indirect eval */
			armEval = 0;
			int value = xsToInteger(xsResult);
			if (value == EXPECTED) {
				ok = 1;
				snprintf(detail, sizeof(detail), "ok");
			}
			else
				snprintf(detail, sizeof(detail), "wrong result %d", value);
		}
		xsCatch {
			armEval = 0;
			armed = 0;
			snprintf(detail, sizeof(detail), "error %s", xsToString(xsException));
		}
	}
	xsEndHost(the);
	return ok;
}

/* xsc mode, as tools/xsc/xsc.c compile(): 1 = a script, 0 = errors (detail) */
static int reportedErrors;
static void report_error(void *console, txString path, txInteger line, txString format, c_va_list arguments)
{
	(void)console; (void)path; (void)line; (void)format; (void)arguments;
	reportedErrors++;   /* no printing here: stdio may allocate */
}
static int run_xsc(int arm)
{
	txParser parser;
	txParserJump jump;
	txScript *script = NULL;
	txStringCStream stream = { (char *)source, 0, sizeof(source) - 1 };
	reportedErrors = 0;
	armed = arm;
	fxInitializeParser(&parser, C_NULL, 32 * 1024, 1993);
	parser.firstJump = &jump;
	parser.reportError = report_error;
	parser.reportWarning = report_error;
	if (c_setjmp(jump.jmp_buf) == 0) {
		fxParserTree(&parser, &stream, fxStringCGetter, 0, NULL);   /* 0: module goal */
		fxParserHoist(&parser);
		fxParserBind(&parser);
		script = fxParserCode(&parser);
	}
	armed = 0;
	int errors = parser.errorCount;
	int error = parser.error;
	fxTerminateParser(&parser);
	int ok = script && !errors;
	if (ok)
		snprintf(detail, sizeof(detail), "ok");
	else
		snprintf(detail, sizeof(detail), "error %d error(s)%s, %d reported, script %s", errors,
			error == C_ENOMEM ? " ENOMEM" : "", reportedErrors, script ? "non-NULL" : "NULL");
	fxDeleteScript(script);
	return ok;
}

static int run(const char *mode, int arm)
{
	return strcmp(mode, "eval") ? run_xsc(arm) : run_eval(arm);
}

/* One child: refuse allocation n (and the following ones unless once), report, exit. */
static void child(const char *mode, long n, int once, int fd)
{
	char line[1200];
	/* a runaway recursion (the unpatched fxReportMemoryError) dies at 1 MB, not 8 */
	struct rlimit stack = { 1024 * 1024, 1024 * 1024 };
	setrlimit(RLIMIT_STACK, &stack);
	alarm(20);
	requests = refused = 0;
	trackedCount = trackOverflow = 0;
	refuseAt = n;
	refuseOnce = once;
	int ok = run(mode, 1);
	long made = requests, denied = refused;
	int leaks = trackedCount;
	refuseAt = -1;
	/* memory is back: the same parse must now succeed, in the same machine */
	char first[512];
	snprintf(first, sizeof(first), "%s", detail);
	int after = run(mode, 0);
	int clean = !trackOverflow && !leaks && after && (ok ? !denied : denied > 0);
	snprintf(line, sizeof(line), "%s | requests %ld refused %ld | leaks %d | after %s\n", first, made, denied, leaks, detail);
	(void)!write(fd, line, strlen(line));
	_exit(clean ? 0 : 1);
}

static long calibrate(const char *mode)
{
	int fds[2];
	if (pipe(fds))
		return -1;
	pid_t pid = fork();
	if (pid == 0) {
		close(fds[0]);
		requests = 0;
		refuseAt = -1;
		int ok = run(mode, 1);
		char line[64];
		snprintf(line, sizeof(line), "%ld %d\n", requests, ok);
		(void)!write(fds[1], line, strlen(line));
		_exit(0);
	}
	close(fds[1]);
	char buffer[64] = { 0 };
	ssize_t got = read(fds[0], buffer, sizeof(buffer) - 1);
	close(fds[0]);
	int status;
	waitpid(pid, &status, 0);
	long total = -1;
	int ok = 0;
	if (got <= 0 || sscanf(buffer, "%ld %d", &total, &ok) != 2 || !ok)
		return -1;
	return total;
}

static void sweep(const char *mode, int once)
{
	const char *model = once ? "once" : "after";
	char line[1400];
	long total = calibrate(mode);
	snprintf(line, sizeof(line), "%s %s total %ld\n", mode, model, total);
	put(line);
	for (long n = 0; n <= total; n++) {
		int fds[2];
		if (pipe(fds)) {
			put("harness: pipe failed\n");
			exit(2);
		}
		pid_t pid = fork();
		if (pid < 0) {
			put("harness: fork failed\n");
			exit(2);
		}
		if (pid == 0) {
			close(fds[0]);
			child(mode, n, once, fds[1]);
		}
		close(fds[1]);
		char text[1200];
		size_t length = 0;
		ssize_t got;
		while (length < sizeof(text) - 1 && (got = read(fds[0], text + length, sizeof(text) - 1 - length)) > 0)
			length += (size_t)got;
		text[length] = 0;
		close(fds[0]);
		if (length && text[length - 1] == '\n')
			text[--length] = 0;
		int status;
		waitpid(pid, &status, 0);
		if (WIFSIGNALED(status))
			snprintf(line, sizeof(line), "%s %s %ld signal %d %s\n", mode, model, n, WTERMSIG(status), text);
		else
			snprintf(line, sizeof(line), "%s %s %ld exit %d %s\n", mode, model, n, WEXITSTATUS(status), text);
		put(line);
	}
}

int main(int argc, char **argv)
{
	/* Roomy machine: only the parser is under test, the machine must never run short. */
	xsCreation creation = {
		256 * 1024, 64 * 1024,   /* chunks */
		8192, 1024,              /* slots */
		1024,                    /* stack */
		2048, 256,               /* keys */
		1993, 127,               /* name, symbol moduli */
		8192, 127,               /* parser buffer, parser table modulo (eval) */
		0
	};
	machine = xsCreateMachine(&creation, "parser-oom", NULL);
	if (!machine) {
		put("harness: cannot create the machine\n");
		return 2;
	}
	/* without the patch children crash: no core files */
	struct rlimit noCore = { 0, 0 };
	setrlimit(RLIMIT_CORE, &noCore);
	const char *only = argc > 1 ? argv[1] : NULL;
	static const char *const modes[] = { "eval", "xsc" };
	for (int m = 0; m < 2; m++) {
		if (only && strcmp(only, modes[m]))
			continue;
		sweep(modes[m], 0);
		sweep(modes[m], 1);
	}
	xsDeleteMachine(machine);
	return 0;
}
