/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A uiommu host: an emulated machine (VT-d remapping units, a PCI
 * hierarchy, device models) together with the kernel-side stack that
 * drives it. Every libuiommu entry point works on one host; a process may
 * create as many as it likes. Functions return 0 or a negative errno and
 * never abort on bad input.
 */
#ifndef UIOMMU_HOST_PUBLIC_H
#define UIOMMU_HOST_PUBLIC_H

#include <stdbool.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

struct uiommu_host;

struct uiommu_host_opts {
	/* Exactly one, or neither for the built-in default host. */
	const char *topology_path;  /* a topology file (docs/topology.md) */
	const char *topology_json;  /* the same, as text */
	bool checker;               /* SPEC H-12 on every unit */
	/* The machine alone: no kernel-side IOMMU driver. For programs that
	 * drive the remapping units themselves (their own driver, a guest's
	 * view of a vIOMMU, hardware tests). */
	bool bare;
	/* Default domains pass through instead of translating. */
	bool default_identity;
	/* Leave every device without a kernel driver: no idxd on the DSA,
	 * no software mdev parent. For programs that drive the IOMMU API on
	 * the devices themselves. */
	bool no_drivers;
	/* The kernel's iommufd selftest interface (Linux CONFIG_IOMMUFD_TEST,
	 * SPEC U-15): a mock IOMMU driver on a mock bus, and IOMMU_TEST_CMD
	 * on /dev/iommu (<uapi/linux/iommufd_test.h>), which is ENOTTY
	 * without it. `uiommu exec --selftest` sets it. */
	bool selftest;
};

/* On failure, err (if non-NULL) receives a one-line message naming the
 * file, line or field at fault. */
int uiommu_host_new(const struct uiommu_host_opts *opts, struct uiommu_host **out, char *err,
		    size_t errlen);
void uiommu_host_free(struct uiommu_host *h);

/* The remapping units of the host, for their MMIO, interrupts, checker
 * and statistics (<uiommu/hw/vtd.h>). */
struct vtd_unit;
unsigned uiommu_host_nr_units(const struct uiommu_host *h);
struct vtd_unit *uiommu_host_unit(const struct uiommu_host *h, unsigned idx);

/* The built-in host's topology, as JSON. */
const char *uiommu_default_topology(void);

const char *uiommu_version(void);

#ifdef __cplusplus
}
#endif

#endif
