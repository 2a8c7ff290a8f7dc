/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>

#include <ucontext.h>

#include "fixup.h"
#include "fixup_access.h"

/* The exception table: every fixup_access.h access of this object (the
 * linker makes the bounds of a section named like a C identifier). */
extern const struct fixup_entry __start_uiommu_fixup_table[]
	__attribute__((weak, visibility("hidden")));
extern const struct fixup_entry __stop_uiommu_fixup_table[]
	__attribute__((weak, visibility("hidden")));

uintptr_t fixup_search_table(uintptr_t insn)
{
	for (const struct fixup_entry *e = __start_uiommu_fixup_table;
	     e && e < __stop_uiommu_fixup_table; e++)
		if ((uintptr_t)&e->insn + (uintptr_t)(intptr_t)e->insn == insn)
			return (uintptr_t)&e->resume + (uintptr_t)(intptr_t)e->resume;
	return 0;
}

__thread struct fixup *fixup_top __attribute__((tls_model("initial-exec")));
bool fixup_installed;

static struct sigaction prev_segv, prev_bus;
static void (*_Atomic fallback)(int);

static void pass_on(int sig, siginfo_t *si, void *uc)
{
	void (*fb)(int) = atomic_load(&fallback);
	if (fb) {
		fb(sig);
		return;
	}
	const struct sigaction *prev = sig == SIGBUS ? &prev_bus : &prev_segv;
	if (prev->sa_flags & SA_SIGINFO) {
		prev->sa_sigaction(sig, si, uc);
	} else if (prev->sa_handler != SIG_DFL && prev->sa_handler != SIG_IGN) {
		prev->sa_handler(sig);
	} else {
		/* The default action: returning re-runs the faulting access,
		 * which now takes it (ignoring a fault is not possible). */
		signal(sig, SIG_DFL);
	}
}

static void on_fault(int sig, siginfo_t *si, void *uc)
{
#if defined(__x86_64__)
	/* An access with an exception-table entry goes on at its resume
	 * address, with nothing to unwind. */
	ucontext_t *ctx = uc;
	uintptr_t resume = fixup_search_table((uintptr_t)ctx->uc_mcontext.gregs[REG_RIP]);
	if (resume) {
		ctx->uc_mcontext.gregs[REG_RIP] = (greg_t)resume;
		return;
	}
#endif
	struct fixup *fx = fixup_top;
	if (!fx) {
		pass_on(sig, si, uc);
		return;
	}
	fixup_top = fx->prev;
	siglongjmp(fx->env, 1);
}

static void install(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_fault;
	/* SA_NODEFER: the jump out of the handler leaves no signal blocked. */
	sa.sa_flags = SA_SIGINFO | SA_NODEFER | SA_ONSTACK;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGSEGV, &sa, &prev_segv);
	sigaction(SIGBUS, &sa, &prev_bus);
	__atomic_store_n(&fixup_installed, true, __ATOMIC_RELEASE);
}

void fixup_install_slow(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	pthread_once(&once, install);
}

void fixup_set_fallback(void (*handler)(int))
{
	atomic_store(&fallback, handler);
}

#if defined(__x86_64__)
int fixup_memcpy(void *dst, const void *src, size_t n)
{
	/* Through the exception table: no setjmp, no unwinding. */
	return fixup_copy(dst, src, n) ? -EFAULT : 0;
}
#else
/* Not instrumented: a sanitizer's check of a wild address would report
 * it before the access could fault into the fixup. */
__attribute__((no_sanitize("address", "undefined"))) static void raw_copy(void *dst,
									      const void *src,
									      size_t n)
{
	volatile unsigned char *d = dst;
	const volatile unsigned char *s = src;
	while (n--)
		*d++ = *s++;
}

int fixup_memcpy(void *dst, const void *src, size_t n)
{
	if (!n)
		return 0;
	struct fixup fx;
	if (fixup_try(&fx)) {
		raw_copy(dst, src, n);
		fixup_end(&fx);
		return 0;
	}
	return -EFAULT;
}
#endif
