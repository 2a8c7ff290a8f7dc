/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fault fixups: an access to memory that may not be there resumes at a
 * fixup point with an error instead of killing the process - what the
 * kernel's exception tables do for user copies, and what a bus does for
 * a device's access to an address with no memory behind it (SPEC R-5).
 *
 *     struct fixup fx;
 *     if (fixup_try(&fx)) {
 *             ...accesses that may fault...
 *             fixup_end(&fx);
 *             return 0;
 *     }
 *     return -EFAULT;       (the fault unwound to here; fx is popped)
 *
 * A SIGSEGV or SIGBUS taken by the thread while a fixup is armed jumps
 * back to its fixup_try, which then returns false. Anything else is
 * passed on to whatever handler the process had before (or the default
 * action). Between try and end the code must not take locks or allocate:
 * the jump skips every frame in between. Locals changed after the try and
 * read after the jump must be volatile.
 */
#ifndef UIOMMU_UTIL_FIXUP_H
#define UIOMMU_UTIL_FIXUP_H

#include <setjmp.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>

struct fixup {
	sigjmp_buf env;
	struct fixup *prev;
};

/* The innermost armed fixup of the thread. */
extern __thread struct fixup *fixup_top __attribute__((tls_model("initial-exec")));

/* Install the SIGSEGV/SIGBUS handler (once per process; a load after). */
extern bool fixup_installed;
void fixup_install_slow(void);
static inline void fixup_install(void)
{
	if (__builtin_expect(!__atomic_load_n(&fixup_installed, __ATOMIC_ACQUIRE), 0))
		fixup_install_slow();
}

/* The handler's mask is left alone (SA_NODEFER) so no signal state needs
 * restoring after the jump: sigsetjmp(.., 0) stays a few instructions. */
#define fixup_try(fx)                                                            \
	(fixup_install(), (fx)->prev = fixup_top, fixup_top = (fx),              \
	 sigsetjmp((fx)->env, 0) == 0)

static inline void fixup_end(struct fixup *fx)
{
	fixup_top = fx->prev;
}

/*
 * Where a fault with no fixup armed goes: the handler the process had
 * when fixups were installed, unless a test harness that wants SIGSEGV
 * itself (cmocka) says otherwise through this.
 */
void fixup_set_fallback(void (*handler)(int));

/* Copies that may fault on either side: 0, or -EFAULT with an unknown
 * part of dst written. */
int fixup_memcpy(void *dst, const void *src, size_t n);

#endif
