/* SPDX-License-Identifier: BSD-3-Clause */
/* uiommu soak: the isolation soak (issue #12; soak.h, docs/soak.md). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "soak.h"

static void soak_usage(FILE *f)
{
	fprintf(f,
		"usage: uiommu [--checker] [--json] soak [--seconds N] [--tenants K] [--seed S]\n"
		"                                   [--kinds LIST] [--progress]\n"
		"\n"
		"K tenants on one host - pdevs (DMA through their RID), idxd mdevs (a DSA WQ,\n"
		"DMA through the parent's RID and a PASID) and software mdevs (an ACCESS) in\n"
		"turn - each opened as a VFIO cdev and bound to /dev/iommu, copy between their\n"
		"pages without pause while a driver thread maps, unmaps, detaches, attaches,\n"
		"replaces and destroys at random. An oracle that knows each tenant's mappings\n"
		"checks every DMA: it lands, with the right bytes, only inside the tenant's\n"
		"mappings; after UNMAP returned it faults and leaves the memory alone; only a\n"
		"DMA racing a change may go either way. Prints the DMAs checked, the\n"
		"violations (the exit status is 1 if there is any) and the seed.\n"
		"\n"
		"options:\n"
		"  --seconds N   run this long (default 10; 0: set up, check, tear down)\n"
		"  --tenants K   1 to %u tenants (default 6; at most 8 software mdevs)\n"
		"  --kinds LIST  the kinds to take in turn, of pdev, idxd, sw (default all:\n"
		"                pdev,idxd,sw)\n"
		"  --seed S      the driver thread's sequence of operations (default: from the\n"
		"                clock, printed); the same seed replays the same sequence\n"
		"  --progress    a progress line every second on stderr (the default when\n"
		"                stderr is a terminal)\n"
		"  -h, --help    this help\n"
		"\n"
		"With the global --checker, stale hits the remapping units see are counted;\n"
		"one with no unmap, detach or replace in flight is a violation.\n",
		SOAK_MAX_TENANTS);
}

static int parse_u64(const char *s, uint64_t *out)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 0);
	if (errno || end == s || *end || *s == '-')
		return -EINVAL;
	*out = v;
	return 0;
}

/* "pdev,idxd,sw" (any of them, in any order) to SOAK_KIND_* bits. */
static int parse_kinds(const char *s, unsigned *out)
{
	static const char *const names[] = { "pdev", "idxd", "sw" };
	*out = 0;
	while (*s) {
		size_t n = strcspn(s, ",");
		unsigned k = 0;
		while (k < 3 && (strlen(names[k]) != n || strncmp(s, names[k], n)))
			k++;
		if (k == 3)
			return -EINVAL;
		*out |= 1u << k;
		s += n + (s[n] == ',');
	}
	return *out ? 0 : -EINVAL;
}

static void print_result(const struct cli *c, const struct soak_result *r)
{
	double rate = r->seconds > 0 ? (double)r->dmas / r->seconds : 0;
	if (c->json) {
		printf("{\"seed\":%llu,\"tenants\":%u,\"pdevs\":%u,\"idxd_mdevs\":%u,"
		       "\"sw_mdevs\":%u,\"seconds\":%.3f,\"dmas_checked\":%llu,\"dmas_per_s\":%.0f,"
		       "\"landed\":%llu,\"faulted\":%llu,\"stray\":%llu,\"racing\":%llu,"
		       "\"racing_landed\":%llu,\"ops\":%llu,\"op_hash\":\"%016llx\","
		       "\"checker_stale\":%llu,\"violations\":%llu,\"first_violation\":",
		       (unsigned long long)r->seed, r->tenants, r->pdevs, r->adis, r->swmdevs,
		       r->seconds, (unsigned long long)r->dmas, rate, (unsigned long long)r->landed,
		       (unsigned long long)r->faulted, (unsigned long long)r->stray,
		       (unsigned long long)r->racing, (unsigned long long)r->racing_landed,
		       (unsigned long long)r->ops, (unsigned long long)r->op_hash,
		       (unsigned long long)r->checker_stale, (unsigned long long)r->violations);
		json_str(stdout, r->first_violation);
		printf("}\n");
		return;
	}
	printf("soak: seed %llu, %u tenants (%u pdevs, %u idxd mdevs, %u software mdevs), "
	       "%.1f s\n",
	       (unsigned long long)r->seed, r->tenants, r->pdevs, r->adis, r->swmdevs, r->seconds);
	printf("  DMAs checked     %llu (%.0f/s)\n", (unsigned long long)r->dmas, rate);
	printf("    landed         %llu (pdevs %llu/%llu, idxd mdevs %llu/%llu, software mdevs "
	       "%llu/%llu)\n",
	       (unsigned long long)r->landed, (unsigned long long)r->kind_landed[0],
	       (unsigned long long)r->kind_dmas[0], (unsigned long long)r->kind_landed[1],
	       (unsigned long long)r->kind_dmas[1], (unsigned long long)r->kind_landed[2],
	       (unsigned long long)r->kind_dmas[2]);
	printf("    faulted        %llu (%llu aimed at a page never mapped)\n",
	       (unsigned long long)r->faulted, (unsigned long long)r->stray);
	printf("    racing         %llu (a change in flight; %llu of them landed)\n",
	       (unsigned long long)r->racing, (unsigned long long)r->racing_landed);
	printf("  driver ops       %llu (sequence %016llx)\n", (unsigned long long)r->ops,
	       (unsigned long long)r->op_hash);
	if (c->checker)
		printf("  stale hits       %llu (checker; each raced an unmap, detach or "
		       "replace)\n",
		       (unsigned long long)r->checker_stale);
	printf("  violations       %llu\n", (unsigned long long)r->violations);
	if (r->violations)
		printf("  first violation: %s\n", r->first_violation);
}

int cmd_soak(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "seconds", required_argument, NULL, 's' },
		{ "tenants", required_argument, NULL, 'k' },
		{ "seed", required_argument, NULL, 'S' },
		{ "kinds", required_argument, NULL, 'K' },
		{ "progress", no_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct soak_opts so = { .seconds = 10, .tenants = 6, .checker = c->checker };
	bool seeded = false, progress = isatty(STDERR_FILENO);
	uint64_t k;
	char *end;
	int o;
	while ((o = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (o) {
		case 's':
			so.seconds = strtod(optarg, &end);
			if (end == optarg || *end || !(so.seconds >= 0) || so.seconds > 1e7) {
				fprintf(stderr, "uiommu soak: --seconds: expected a number >= 0\n");
				return 2;
			}
			break;
		case 'k':
			if (parse_u64(optarg, &k) || k < 1 || k > SOAK_MAX_TENANTS) {
				fprintf(stderr, "uiommu soak: --tenants: expected 1 to %u\n",
					SOAK_MAX_TENANTS);
				return 2;
			}
			so.tenants = (unsigned)k;
			break;
		case 'S':
			if (parse_u64(optarg, &so.seed)) {
				fprintf(stderr,
					"uiommu soak: --seed: expected an unsigned integer\n");
				return 2;
			}
			seeded = true;
			break;
		case 'K':
			if (parse_kinds(optarg, &so.kinds)) {
				fprintf(stderr, "uiommu soak: --kinds: expected a list of "
						"pdev, idxd, sw\n");
				return 2;
			}
			break;
		case 'p': progress = true; break;
		case 'h': soak_usage(stdout); return 0;
		default: soak_usage(stderr); return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "uiommu soak: unexpected argument '%s'\n", argv[optind]);
		return 2;
	}
	if (!seeded) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		so.seed = (uint64_t)ts.tv_sec * 1000003u ^ (uint64_t)ts.tv_nsec;
	}
	so.progress = progress ? stderr : NULL;
	so.progress_tty = progress && isatty(STDERR_FILENO);
	struct soak_result r;
	char err[512] = "";
	int rc = soak_run(&so, &r, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "uiommu soak: %s\n", err[0] ? err : strerror(-rc));
		return 1;
	}
	print_result(c, &r);
	return r.violations ? 1 : 0;
}
