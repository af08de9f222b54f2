/*
 * The host board's C host for Moddable's x-cli-lin platform: a headless executable that prepares
 * the XS machine from the linked archive (preloaded modules in read-only memory, as on a device),
 * imports the app's main module, calls its default export (a function answering a promise of the
 * exit code) and runs the GLib loop that carries XS promise jobs, timers and serial (tty) callbacks
 * until that promise settles. When nothing is ready it blocks until a timer or a file descriptor
 * is; when nothing is left that could ever be, the promise can no longer settle: exit status 3.
 *
 * Globals it adds for the app: hostArguments (the command line, argv[0] first); print(...values)
 * writes a line to stdout; hostHeap(collect) answers
 * { chunkBytes, slotCount, slotBytes, peakChunkBytes, peakSlotCount } from the machine's own
 * counters — the figures Moddable's instrumentation reports as "Chunk used" and "Slot used" —
 * after a garbage collection when `collect` is true.
 */
#include "xsAll.h"
#include "mc.xs.h"
#include <glib.h>

static int gExitCode = 1;
static int gSettled = 0;

void fxAbort(txMachine* the, int status)
{
	if ((status == XS_UNHANDLED_EXCEPTION_EXIT) || (status == XS_UNHANDLED_REJECTION_EXIT))
		fprintf(stderr, "xcli-host: unhandled exception: %s\n", xsToString(xsException));
	else
		fprintf(stderr, "xcli-host: XS abort, status %d\n", status);
	exit(2);
}

/* The app carries no resources (the Resource module is linked by manifest_base). */
const void* mcGetResource(xsMachine* the, char* path, size_t* size)
{
	*size = 0;
	return NULL;
}

static void xs_print(xsMachine* the)
{
	xsIntegerValue c = xsToInteger(xsArgc), i;
	for (i = 0; i < c; i++) {
		if (i)
			fputc(' ', stdout);
		fputs(xsToString(xsArg(i)), stdout);
	}
	fputc('\n', stdout);
	fflush(stdout);
}

static void xs_host_heap(xsMachine* the)
{
	if ((xsToInteger(xsArgc) > 0) && xsTest(xsArg(0)))
		xsCollectGarbage();
	xsResult = xsNewObject();
	xsSet(xsResult, xsID("chunkBytes"), xsInteger(the->currentChunksSize));
	xsSet(xsResult, xsID("slotCount"), xsInteger(the->currentHeapCount));
	xsSet(xsResult, xsID("slotBytes"), xsInteger((xsIntegerValue)sizeof(txSlot)));
	xsSet(xsResult, xsID("peakChunkBytes"), xsInteger(the->peakChunksSize));
	xsSet(xsResult, xsID("peakSlotCount"), xsInteger(the->peakHeapCount));
}

static void xs_main_fulfilled(xsMachine* the)
{
	gExitCode = xsToInteger(xsArg(0));
	gSettled = 1;
}

static void xs_main_rejected(xsMachine* the)
{
	fprintf(stderr, "xcli-host: main failed: %s\n", xsToString(xsArg(0)));
	gExitCode = 1;
	gSettled = 1;
}

/* The file descriptors GLib would poll in `context` now, and in `timeoutMs` how long it would wait (-1: no timer). */
static gint polled_fds(GMainContext* context, gint* timeoutMs)
{
	gint priority, timeout;
	GPollFD fds[8];
	g_main_context_acquire(context);
	g_main_context_prepare(context, &priority);
	gint count = g_main_context_query(context, priority, &timeout, fds, G_N_ELEMENTS(fds));
	g_main_context_release(context);
	if (timeoutMs)
		*timeoutMs = timeout;
	return count;
}

static void run_until_settled(GMainContext* context, gint idleFds)
{
	while (!gSettled) {
		gint timeoutMs;
		if (g_main_context_iteration(context, FALSE))
			continue;
		if ((polled_fds(context, &timeoutMs) <= idleFds) && (timeoutMs < 0))
			return;
		g_main_context_iteration(context, TRUE);
	}
}

int main(int argc, char* argv[])
{
	GMainContext* context = g_main_context_default();
	/* GLib's own wake-up descriptor: polled even with no source attached */
	gint idleFds = polled_fds(context, NULL);
	txPreparation* preparation = xsPreparation();
	xsMachine* machine = fxPrepareMachine(NULL, preparation, "tapcharge", NULL, NULL);
	if (!machine) {
		fprintf(stderr, "xcli-host: cannot prepare the XS machine\n");
		return 2;
	}
	xsBeginHost(machine);
	{
		xsVars(3);
		xsVar(0) = xsNewArray(argc);
		for (int i = 0; i < argc; i++)
			xsSetAt(xsVar(0), xsInteger(i), xsString(argv[i]));
		xsSet(xsGlobal, xsID("hostArguments"), xsVar(0));
		xsSet(xsGlobal, xsID("print"), xsNewHostFunction(xs_print, 0));
		xsSet(xsGlobal, xsID("hostHeap"), xsNewHostFunction(xs_host_heap, 1));
		xsVar(0) = xsAwaitImport(preparation->main, XS_IMPORT_DEFAULT);
		if (!xsIsInstanceOf(xsVar(0), xsFunctionPrototype)) {
			fprintf(stderr, "xcli-host: %s has no default export function\n", preparation->main);
			exit(2);
		}
		xsVar(0) = xsCallFunction0(xsVar(0), xsGlobal);
		xsVar(1) = xsNewHostFunction(xs_main_fulfilled, 1);
		xsVar(2) = xsNewHostFunction(xs_main_rejected, 1);
		xsCall2(xsVar(0), xsID("then"), xsVar(1), xsVar(2));
	}
	xsEndHost(machine);
	run_until_settled(context, idleFds);
	if (!gSettled) {
		fprintf(stderr, "xcli-host: main's promise never settled\n");
		gExitCode = 3;
	}
	xsDeleteMachine(machine);
	return gExitCode;
}
