/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * uiommu exec: run an unmodified, dynamically linked program whose
 * /dev/iommu, /dev/vfio nodes, device descriptors and /sys entries are
 * served in-process by libuiommu through the LD_PRELOAD shim (SPEC F-2,
 * docs/exec.md). The command checks the options by building the host
 * once, passes them to the shim in the environment, and execs.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <uiommu/host.h>
#include <uiommu/mdev.h>

#include "cli.h"
#include "sysfs/sysfs.h"

#define MAX_MDEVS 64

static void usage(FILE *f)
{
	fprintf(f,
		"usage: uiommu exec [--topology FILE] [--selftest] [--checker]\n"
		"                   [--mdev PARENT:TYPE[=UUID]]... [--] PROGRAM [ARGS...]\n"
		"\n"
		"Run PROGRAM with /dev/iommu, /dev/vfio/*, the device files and the /sys entries it\n"
		"reads served by an emulated host of its own: no IOMMU hardware, no root, no VM.\n"
		"PROGRAM must be dynamically linked; every process it starts gets a host of its own\n"
		"(after fork() a child works on its own copy; nothing is shared between processes).\n"
		"\n"
		"options:\n"
		"  --topology FILE  the emulated host (default: the built-in one; docs/topology.md)\n"
		"  --selftest       enable the iommufd selftest interface (IOMMU_TEST_CMD)\n"
		"  --checker        report DMA that uses a stale cached translation (SPEC H-12)\n"
		"  --mdev PARENT:TYPE[=UUID]\n"
		"                   create an mdev before PROGRAM starts, as mdevctl does for a\n"
		"                   defined device: PARENT by BDF or name (0000:01:00.0, dsa0), TYPE\n"
		"                   as sysfs names it (idxd-dsa-1dwq-v1) or the driver does\n"
		"                   (dsa-1dwq-v1); without UUID, a random one (printed on stderr)\n"
		"  -h, --help       this help\n"
		"\n"
		"Not served: statically linked programs, raw system calls, paths relative to a\n"
		"working directory inside /sys or /dev. See docs/exec.md.\n"
		"The exit status is PROGRAM's; 127 if it cannot be found, 126 if it cannot run.\n");
}

/* The shim: $UIOMMU_SHIM, beside this executable in a build tree, or
 * where it is installed. */
static int find_shim(char *out, size_t size)
{
	const char *env = getenv("UIOMMU_SHIM");
	if (env && *env) {
		snprintf(out, size, "%s", env);
		return access(out, R_OK) ? -errno : 0;
	}
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = 0;
		char *slash = strrchr(exe, '/');
		if (slash) {
			*slash = 0;
			int len = snprintf(out, size, "%s/src/shim/libuiommu-shim.so", exe);
			if (len > 0 && (size_t)len < size && !access(out, R_OK))
				return 0;
		}
	}
	snprintf(out, size, "%s", UIOMMU_SHIM_INSTALLED);
	return access(out, R_OK) ? -errno : 0;
}

static int random_uuid(char out[37])
{
	unsigned char u[16];
	int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
	if (fd < 0 || read(fd, u, sizeof(u)) != (ssize_t)sizeof(u)) {
		if (fd >= 0)
			close(fd);
		return -EIO;
	}
	close(fd);
	u[6] = (u[6] & 0x0f) | 0x40; /* version 4 */
	u[8] = (u[8] & 0x3f) | 0x80; /* RFC 4122 variant */
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12],
		 u[13], u[14], u[15]);
	return 0;
}

struct exec_opts {
	const char *topology;
	bool selftest, checker;
	char *mdevs[MAX_MDEVS];     /* "PARENT:TYPE=UUID", complete */
	int nr_mdevs;
};

static int add_mdev(struct exec_opts *o, const char *spec)
{
	const char *eq = strchr(spec, '=');
	const char *colon = memrchr(spec, ':', eq ? (size_t)(eq - spec) : strlen(spec));
	if (!colon || colon == spec || colon[1] == '=' || !colon[1] || (eq && !eq[1])) {
		fprintf(stderr, "uiommu exec: --mdev %s: expected PARENT:TYPE[=UUID]\n", spec);
		return -EINVAL;
	}
	if (o->nr_mdevs == MAX_MDEVS) {
		fprintf(stderr, "uiommu exec: at most %d --mdev\n", MAX_MDEVS);
		return -E2BIG;
	}
	char uuid[37] = "";
	if (!eq && random_uuid(uuid)) {
		fprintf(stderr, "uiommu exec: no random UUID for --mdev %s\n", spec);
		return -EIO;
	}
	size_t len = strlen(spec) + 2 + strlen(uuid);
	char *s = malloc(len);
	if (!s)
		return -ENOMEM;
	snprintf(s, len, "%s%s%s", spec, eq ? "" : "=", uuid);
	if (!eq)
		fprintf(stderr, "uiommu exec: mdev %s\n", s);
	o->mdevs[o->nr_mdevs++] = s;
	return 0;
}

/* The environment the shim reads (docs/exec.md). */
static int set_env(const struct exec_opts *o, const char *shim)
{
	char topo[PATH_MAX];
	/* Absolute, as PROGRAM may change directory before its first open. */
	if (o->topology && !realpath(o->topology, topo)) {
		fprintf(stderr, "uiommu exec: %s: %s\n", o->topology, strerror(errno));
		return -errno;
	}
	size_t len = 1;
	for (int i = 0; i < o->nr_mdevs; i++)
		len += strlen(o->mdevs[i]) + 1;
	char *mdevs = calloc(1, len);
	if (!mdevs)
		return -ENOMEM;
	for (int i = 0; i < o->nr_mdevs; i++) {
		if (i)
			strcat(mdevs, ",");
		strcat(mdevs, o->mdevs[i]);
	}
	const char *old = getenv("LD_PRELOAD");
	size_t plen = strlen(shim) + (old ? strlen(old) : 0) + sizeof(UIOMMU_ASAN_RUNTIME) + 3;
	char *preload = malloc(plen);
	if (!preload) {
		free(mdevs);
		return -ENOMEM;
	}
	/* A sanitized shim needs its runtime ahead of it (build-san only). */
	snprintf(preload, plen, "%s%s%s%s%s", UIOMMU_ASAN_RUNTIME, *UIOMMU_ASAN_RUNTIME ? " " : "",
		 shim, old && *old ? " " : "", old ? old : "");
	int rc = 0;
	if ((o->topology ? setenv("UIOMMU_TOPOLOGY", topo, 1) : unsetenv("UIOMMU_TOPOLOGY")) ||
	    (o->selftest ? setenv("UIOMMU_SELFTEST", "1", 1) : unsetenv("UIOMMU_SELFTEST")) ||
	    (o->checker ? setenv("UIOMMU_CHECKER", "1", 1) : unsetenv("UIOMMU_CHECKER")) ||
	    (*mdevs ? setenv("UIOMMU_MDEVS", mdevs, 1) : unsetenv("UIOMMU_MDEVS")) ||
	    setenv("LD_PRELOAD", preload, 1))
		rc = -errno;
	free(mdevs);
	free(preload);
	return rc;
}

/* Build the host PROGRAM will get, once, so that a bad topology or mdev
 * is reported here and not from inside PROGRAM's first open(). */
static int check_host(const struct exec_opts *o)
{
	struct uiommu_host_opts ho = { .topology_path = o->topology, .checker = o->checker };
	char err[512];
	struct uiommu_host *h;
	int rc = uiommu_host_new(&ho, &h, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "uiommu exec: %s\n", err);
		return rc;
	}
	for (int i = 0; i < o->nr_mdevs && !rc; i++) {
		char *spec = strdup(o->mdevs[i]);
		if (!spec) {
			rc = -ENOMEM;
			break;
		}
		char *eq = strchr(spec, '='), *colon;
		*eq = 0;
		colon = strrchr(spec, ':');
		*colon = 0;
		rc = sysfs_mdev_create(h, spec, colon + 1, eq + 1);
		if (rc == -ENOENT)
			fprintf(stderr, "uiommu exec: --mdev %s: no mdev type '%s' on a parent '%s'\n",
				o->mdevs[i], colon + 1, spec);
		else if (rc)
			fprintf(stderr, "uiommu exec: --mdev %s: %s\n", o->mdevs[i], strerror(-rc));
		free(spec);
	}
	uiommu_host_free(h);
	return rc;
}

int cmd_exec(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "topology", required_argument, NULL, 't' },
		{ "selftest", no_argument, NULL, 's' },
		{ "checker", no_argument, NULL, 'c' },
		{ "mdev", required_argument, NULL, 'm' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct exec_opts o = { .topology = c->topology, .checker = c->checker };
	int opt, rc = 0;
	/* '+': PROGRAM's own options are not ours. */
	while ((opt = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		switch (opt) {
		case 't': o.topology = optarg; break;
		case 's': o.selftest = true; break;
		case 'c': o.checker = true; break;
		case 'm': rc = add_mdev(&o, optarg); break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
		if (rc)
			return 2;
	}
	if (optind >= argc) {
		fprintf(stderr, "uiommu exec: no PROGRAM to run\n");
		usage(stderr);
		return 2;
	}
	char shim[PATH_MAX];
	if ((rc = find_shim(shim, sizeof(shim)))) {
		fprintf(stderr, "uiommu exec: cannot find libuiommu-shim.so (%s): %s\n", shim,
			strerror(-rc));
		return 1;
	}
	if (check_host(&o) || set_env(&o, shim))
		return 1;
	for (int i = 0; i < o.nr_mdevs; i++)
		free(o.mdevs[i]);
	fflush(NULL);
	execvp(argv[optind], argv + optind);
	int err = errno;
	fprintf(stderr, "uiommu exec: %s: %s\n", argv[optind], strerror(err));
	return err == ENOENT ? 127 : 126;
}
