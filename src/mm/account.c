/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Charging pinned pages against RLIMIT_MEMLOCK, as Linux charges iommufd
 * pins: to the user (the default, io_uring's method) or to the process's
 * locked_vm (VFIO's method), unless the caller holds CAP_IPC_LOCK.
 *
 * One process is one user here, so the per-user count is this process's
 * USER-mode charges (Linux adds up every process of the user).
 *
 * Linux reads the limit and the capability at every charge. Each is a
 * system call, several times the cost of a whole map, so this keeps a
 * snapshot of both, taken when a context opens, an IOAS is made or the
 * accounting mode is set (mm_account_refresh), and again whenever a charge
 * would pass the limit of a snapshot without the capability (a raised
 * limit is seen when it matters). A capability dropped, or a limit
 * lowered, between an IOAS's creation and a map is seen at the next
 * refresh.
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/capability.h>

#include "mm.h"

static pthread_mutex_t account_lock = PTHREAD_MUTEX_INITIALIZER;
/* Under account_lock. */
static uint64_t charged[MM_ACCOUNT_MODE_NUM];
static uint64_t limit_pages;      /* RLIMIT_MEMLOCK, in the snapshot */
static bool capable_ipc_lock;     /* CAP_IPC_LOCK, in the snapshot */
static bool snapshot_taken;

bool mm_capable(int cap)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];
	if (cap < 0 || cap >= 32 * _LINUX_CAPABILITY_U32S_3)
		return false;
	if (syscall(SYS_capget, &hdr, data))
		return false;
	return data[cap / 32].effective & (1u << (cap % 32));
}

/* Caller holds account_lock. */
static void snapshot(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_MEMLOCK, &rl) || rl.rlim_cur == RLIM_INFINITY)
		limit_pages = UINT64_MAX;
	else
		limit_pages = (uint64_t)rl.rlim_cur >> MM_PAGE_SHIFT;
	capable_ipc_lock = mm_capable(CAP_IPC_LOCK);
	snapshot_taken = true;
}

void mm_account_refresh(void)
{
	pthread_mutex_lock(&account_lock);
	snapshot();
	pthread_mutex_unlock(&account_lock);
}

int mm_account(enum mm_account_mode *mode, uint64_t npages, bool inc)
{
	if (*mode == MM_ACCOUNT_NONE || !npages)
		return 0;
	pthread_mutex_lock(&account_lock);
	int rc = 0;
	if (!inc) {
		charged[*mode] -= npages <= charged[*mode] ? npages : charged[*mode];
		goto out;
	}
	if (!snapshot_taken)
		snapshot();
	uint64_t want = charged[*mode] + npages;
	bool over = want < npages || want > limit_pages;
	if (over && !capable_ipc_lock) {
		snapshot();
		over = want < npages || want > limit_pages;
	}
	if (over) {
		if (capable_ipc_lock)
			*mode = MM_ACCOUNT_NONE;
		else
			rc = -ENOMEM;
		goto out;
	}
	charged[*mode] = want;
out:
	pthread_mutex_unlock(&account_lock);
	return rc;
}

uint64_t mm_account_charged(enum mm_account_mode mode)
{
	if (mode >= MM_ACCOUNT_MODE_NUM)
		return 0;
	pthread_mutex_lock(&account_lock);
	uint64_t n = charged[mode];
	pthread_mutex_unlock(&account_lock);
	return n;
}
