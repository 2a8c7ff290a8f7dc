/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The isolation soak (issue #12): tenants of every kind on one host run
 * DMA without pause while a driver thread maps, unmaps, attaches,
 * detaches, replaces and destroys at random, all through /dev/iommu and
 * the VFIO device cdevs - the upper half a VMM uses. An oracle that knows
 * each tenant's mappings judges every DMA (docs/soak.md):
 *
 *  - a DMA whose pages were mapped, and its device attached, from before
 *    it started until after it ended must succeed with the right bytes;
 *  - a DMA to a page whose UNMAP had returned before it started (and no
 *    map began before it ended), or from a detached device, must fault
 *    and leave the page's memory as it was;
 *  - a DMA racing a change may do either - a hit on a translation whose
 *    UNMAP has not returned is what the hardware allows (VT-d 6.5).
 *
 * The soak is a client of the file layer like any program; it lives with
 * the command line, outside the floors.
 */
#ifndef UIOMMU_TOOLS_SOAK_H
#define UIOMMU_TOOLS_SOAK_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define SOAK_MAX_TENANTS 24
#define SOAK_KIND_PDEV   (1u << 0)  /* dmatest functions, DMA through their RID */
#define SOAK_KIND_IDXD   (1u << 1)  /* idxd mdevs: a DSA WQ, the parent's RID + a PASID */
#define SOAK_KIND_SWMDEV (1u << 2)  /* software mdevs: an ACCESS */

/* Deliberate faults for the tests that show the soak can fail. */
enum soak_inject {
	SOAK_INJECT_NONE,
	/* The oracle is told an UNMAP returned while the page stays mapped:
	 * the DMAs that then land must be flagged. */
	SOAK_INJECT_LIE_UNMAPPED,
	/* The tenants' stray DMAs (to addresses never mapped) are expected
	 * to land: the faults they take must be flagged. */
	SOAK_INJECT_EXPECT_STRAY,
};

struct soak_opts {
	double seconds;            /* how long the tenants run DMA */
	unsigned tenants;          /* 1 .. SOAK_MAX_TENANTS, of the kinds below in turn */
	unsigned kinds;            /* SOAK_KIND_* bits; 0: all three */
	uint64_t seed;             /* the driver thread's op sequence */
	uint64_t max_ops;          /* stop the driver after this many ops (0: no limit) */
	bool checker;              /* SPEC H-12 on every unit: count stale hits */
	FILE *progress;            /* a line a second, or NULL */
	bool progress_tty;         /* rewrite one line (\r) rather than print many */
	enum soak_inject inject;
};

struct soak_result {
	uint64_t seed;
	unsigned tenants, pdevs, adis, swmdevs;
	double seconds;
	uint64_t dmas;             /* DMAs checked */
	uint64_t landed;           /* ... that succeeded */
	uint64_t kind_dmas[3], kind_landed[3]; /* by tenant kind: pdev, idxd mdev, sw mdev */
	uint64_t faulted;          /* ... that faulted */
	uint64_t stray;            /* DMAs to never-mapped addresses (all must fault) */
	uint64_t racing;           /* DMAs racing a change of their pages or attachment */
	uint64_t racing_landed;    /* ... that still landed (allowed stale hits) */
	uint64_t ops;              /* driver-thread operations */
	uint64_t op_hash;          /* FNV-1a of the op sequence: same seed, same hash */
	uint64_t checker_stale;    /* stale hits the checker reported (--checker) */
	uint64_t violations;
	char first_violation[256];
};

/* Runs a soak; 0, or -errno (with a message in err) when the host or a
 * tenant could not be set up. Violations are in the result, not the
 * return value. */
int soak_run(const struct soak_opts *o, struct soak_result *r, char *err, size_t errlen);

#endif
