/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The C library's own functions, found behind the shim with
 * dlsym(RTLD_NEXT), and the per-thread depth that routes uiommu's own
 * calls straight to them (shim.h).
 */
#include <dlfcn.h>
#include <stdlib.h>
#include <unistd.h>

#include "shim.h"

__thread int shim_depth __attribute__((tls_model("initial-exec")));
__thread int shim_errno __attribute__((tls_model("initial-exec")));

#define SHIM_DEFINE_REAL(ret, name, args) ret(*shim_real_##name) args;
SHIM_REAL_CALLS(SHIM_DEFINE_REAL)
#undef SHIM_DEFINE_REAL

static const char msg[] = "uiommu-shim: the C library lacks a function the shim needs\n";

/* Races are benign: every thread stores the same pointers. */
void shim_resolve_real(void)
{
#define SHIM_RESOLVE(ret, name, args)                                          \
	if (!shim_real_##name)                                                 \
		__atomic_store_n(&shim_real_##name,                            \
				 (ret(*) args)dlsym(RTLD_NEXT, #name), __ATOMIC_RELEASE);
	SHIM_REAL_CALLS(SHIM_RESOLVE)
#undef SHIM_RESOLVE
	/* close_range is the one a C library may lack (before glibc 2.34):
	 * its interposer copes. Every other one must be there. */
	if (!shim_real_openat || !shim_real_close || !shim_real_ioctl || !shim_real_read ||
	    !shim_real_mmap || !shim_real_fstatat || !shim_real_opendir) {
		ssize_t n = write(2, msg, sizeof(msg) - 1);
		(void)n;
		abort();
	}
}

__attribute__((constructor)) static void shim_init(void)
{
	shim_resolve_real();
}
