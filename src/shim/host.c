/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The shim's host: one per process, built on first use (never in a
 * constructor: the kernel selftest harness forks a child per test, and
 * each child should build its own) from the environment `uiommu exec`
 * sets - docs/exec.md lists the variables:
 *
 *   UIOMMU_TOPOLOGY=FILE      the topology file (default: built-in host)
 *   UIOMMU_SELFTEST=1         the iommufd selftest interface (U-15)
 *   UIOMMU_CHECKER=1          stale-translation checker (H-12)
 *   UIOMMU_MDEVS=P:T=UUID,... mdevs to create first, as mdevctl would
 *   UIOMMU_SHIM_TESTNODE=1    /dev/uiommu-test, for the shim's own tests
 *
 * After fork() the child goes on with its own copy of the parent's host:
 * state is not shared between processes (that is uiommud's job), and
 * threads the host ran (device engines) do not run in the child.
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uiommu/host.h>

#include "shim.h"
#include "../files/file.h"
#include "../sysfs/sysfs.h"
#include "../util/fault_inject.h"
#include "../util/slab.h"

static struct uiommu_host *_Atomic host;
static pthread_mutex_t host_lock = PTHREAD_MUTEX_INITIALIZER; /* building the host */
static bool host_failed;                                      /* under host_lock */

static bool env_true(const char *name)
{
	const char *v = getenv(name);
	return v && *v && strcmp(v, "0");
}

/* "PARENT:TYPE=UUID": the parent may contain ':' (a BDF), a type never. */
static int create_mdev(struct uiommu_host *h, char *spec, char *err, size_t errlen)
{
	char *eq = strchr(spec, '='), *colon;
	if (eq)
		*eq = 0;
	colon = strrchr(spec, ':');
	if (!eq || !colon || colon == spec || !colon[1]) {
		snprintf(err, errlen, "UIOMMU_MDEVS: '%s' is not PARENT:TYPE=UUID", spec);
		return -EINVAL;
	}
	*colon = 0;
	int rc = sysfs_mdev_create(h, spec, colon + 1, eq + 1);
	if (rc)
		snprintf(err, errlen, "mdev %s of %s:%s: %s", eq + 1, spec, colon + 1,
			 strerror(-rc));
	return rc;
}

static int create_mdevs(struct uiommu_host *h, char *err, size_t errlen)
{
	const char *v = getenv("UIOMMU_MDEVS");
	if (!v || !*v)
		return 0;
	char *list = kstrdup(v), *save = NULL;
	if (!list)
		return -ENOMEM;
	int rc = 0;
	for (char *s = strtok_r(list, ",", &save); s && !rc; s = strtok_r(NULL, ",", &save))
		rc = create_mdev(h, s, err, errlen);
	free(list);
	return rc;
}

static struct uiommu_host *build(void)
{
	struct uiommu_host_opts o = {
		.topology_path = getenv("UIOMMU_TOPOLOGY"),
		.checker = env_true("UIOMMU_CHECKER"),
		.selftest = env_true("UIOMMU_SELFTEST"),
	};
	if (o.topology_path && !*o.topology_path)
		o.topology_path = NULL;
	char err[512] = "";
	struct uiommu_host *h = NULL;
	int rc = uiommu_host_new(&o, &h, err, sizeof(err));
	if (!rc && (rc = create_mdevs(h, err, sizeof(err)))) {
		uiommu_host_free(h);
		h = NULL;
	}
	if (h)
		shim_testnode_register(h);
	if (rc)
		fprintf(stderr, "uiommu-shim: no host: %s\n", err[0] ? err : strerror(-rc));
	return h;
}

struct uiommu_host *shim_host(void)
{
	struct uiommu_host *h = atomic_load_explicit(&host, memory_order_acquire);
	if (likely(h))
		return h;
	pthread_mutex_lock(&host_lock);
	h = atomic_load_explicit(&host, memory_order_relaxed);
	if (!h && !host_failed) {
		/* The host boots outside the program's calls: a fail-nth the
		 * thread armed is for the call that got here, not for this. */
		unsigned nth = fail_nth_suspend();
		shim_enter();
		h = build();
		shim_leave();
		fail_nth_resume(nth);
		host_failed = !h;
		atomic_store_explicit(&host, h, memory_order_release);
	}
	pthread_mutex_unlock(&host_lock);
	return h;
}

/* A fork while another thread builds the host must not leave the
 * child's copy of the lock held. */
static void prepare(void)
{
	pthread_mutex_lock(&host_lock);
}

static void after(void)
{
	pthread_mutex_unlock(&host_lock);
}

__attribute__((constructor)) static void shim_host_init(void)
{
	pthread_atfork(prepare, after, after);
}

void shim_fd_fresh(int fd)
{
	if (fd < 0)
		return;
	struct file *f = fget(fd);
	if (likely(!f))
		return;
	shim_enter();
	fput(f);
	fd_forget(fd);
	shim_leave();
}
