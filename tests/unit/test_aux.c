/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Auxiliary domains, the 2018 "IOMMU aware mediated device" API (SPEC
 * A-3 .. A-12; RECONSTRUCTION PART C items 1-15), with devices doing DMA:
 *   A-3  AUXD_CAPABILITY / AUXD_ENABLED queries;
 *   A-4  AUXD_ENABLE sets PASIDE in the context entry, its errors, and
 *        AUXD_DISABLE refused while aux domains are attached;
 *   A-5  aux attach preconditions, the default PASID in [1, max-1] and the
 *        PASID-table entry it programs;
 *   A-6  isolation: each PASID reaches only its domain, untagged DMA the
 *        RID's domain;
 *   A-7  one domain aux-attached and normally attached at once;
 *   A-8  normal attach refused while aux domains are attached;
 *   A-9  address-width check on attach, levels trimmed otherwise;
 *   A-10 detach tears the entry down and frees the PASID with its last user;
 *   A-11 DOMAIN_ATTR_AUXD_ID;
 *   A-12 unmap invalidates PASID-tagged IOTLB and device-TLB entries;
 * plus subdevice reference counting (the 2021 use-after-free fix), the
 * names the series was merged under, and error paths that leave no state.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "base/device.h"
#include "host.h"
#include "hw/machine.h"
#include "hw/pci/dma.h"
#include "iommu/group.h"
#include "iommu/iommu.h"
#include "iommu/intel/intel.h"
#include <uiommu/hw/vtd_regs.h>
#include <uiommu/iommu.h>
#include <uiommu/vfio.h>
#include <linux/vfio.h>

#define RW (IOMMU_READ | IOMMU_WRITE)
#define SID_DSA0 0x0100 /* 01:00.0 */

/* Two PASID endpoints without ATS (every failed translation is a recorded
 * fault) and a plain one. */
static const char *const two_pasid_topo =
	"{\"devices\":["
	"{\"bdf\":\"00:01.0\",\"type\":\"rc_endpoint\",\"name\":\"x\",\"pasid_bits\":20},"
	"{\"bdf\":\"00:02.0\",\"type\":\"rc_endpoint\",\"name\":\"y\",\"pasid_bits\":20},"
	"{\"bdf\":\"00:03.0\",\"type\":\"rc_endpoint\",\"name\":\"z\"}]}";

/* Unit b has 3-level tables and a 39-bit width; unit a the defaults. */
static const char *const width_topo =
	"{\"units\":[{\"name\":\"a\",\"scope\":[\"x\"]},"
	"{\"name\":\"b\",\"scope\":[\"y\"],\"levels\":[3],\"mgaw\":39}],"
	"\"devices\":["
	"{\"bdf\":\"00:01.0\",\"type\":\"rc_endpoint\",\"name\":\"x\",\"pasid_bits\":20},"
	"{\"bdf\":\"00:02.0\",\"type\":\"rc_endpoint\",\"name\":\"y\",\"pasid_bits\":20}]}";

/* A 39-bit unit listed first; the 57-bit unit with 5-level tables only
 * serves y. */
static const char *const deep_topo =
	"{\"units\":[{\"name\":\"a\",\"scope\":[\"x\"],\"levels\":[3],\"mgaw\":39},"
	"{\"name\":\"b\",\"scope\":\"all\",\"levels\":[5],\"mgaw\":57}],"
	"\"devices\":["
	"{\"bdf\":\"00:01.0\",\"type\":\"rc_endpoint\",\"name\":\"x\",\"pasid_bits\":20},"
	"{\"bdf\":\"00:02.0\",\"type\":\"rc_endpoint\",\"name\":\"y\",\"pasid_bits\":20}]}";

/* A PASID endpoint under a port that drops TLP prefixes: the function's
 * PASID capability cannot be enabled. */
static const char *const no_prefix_topo =
	"{\"devices\":[{\"bdf\":\"00:01.0\",\"type\":\"root_port\",\"tlp_prefix\":false,"
	"\"children\":[{\"bdf\":\"01:00.0\",\"type\":\"endpoint\",\"name\":\"d\","
	"\"pasid_bits\":20,\"ats\":true}]}]}";

static uint64_t pa(const void *p)
{
	return (uint64_t)(uintptr_t)p;
}

static struct iommu_domain *paging(struct device *d, unsigned flags)
{
	int err = 1;
	struct iommu_domain *dom = iommu_paging_domain_alloc_flags(d, flags, &err);
	if (!dom)
		fail_msg("domain alloc on %s: %d", d->name, err);
	return dom;
}

static bool attr(struct device *d, enum iommu_dev_attr a)
{
	/* Poisoned, so that an answer never written is caught. */
	union {
		bool b;
		uint8_t raw;
	} v = { .raw = 0xa5 };
	int rc = iommu_get_dev_attr(d, a, &v.b);
	if (rc)
		fail_msg("get_dev_attr(%s, %d): %d", d->name, a, rc);
	assert_true(v.raw == 0 || v.raw == 1);
	return v.b;
}

static int set_attr(struct device *d, enum iommu_dev_attr a)
{
	return iommu_set_dev_attr(d, a, NULL);
}

static int aux_id(struct iommu_domain *dom)
{
	int id = -1;
	int rc = iommu_domain_get_attr(dom, DOMAIN_ATTR_AUXD_ID, &id);
	return rc ? rc : id;
}

/* ---- the hardware's view: tables in memory ---- */

static struct intel_iommu *unit_of(struct device *d)
{
	return ((struct device_domain_info *)d->iommu->priv)->iommu;
}

/* Scalable-mode context entry qword 0 for the device's RID (9.4). */
static uint64_t ctx_lo(struct device *d)
{
	uint16_t sid = th_fn(d)->rid;
	uint64_t re = unit_of(d)->root[(sid >> 8) * 2 + ((sid & 0xff) >= 128)];
	if (!(re & VTD_SM_ROOT_P))
		return 0;
	uint64_t *ct = (uint64_t *)(uintptr_t)(re & VTD_SM_ROOT_CTP_MASK);
	return ct[(sid & 0x7f) * 4];
}

/* The PASID-table entry for (RID, pasid), or NULL (9.5, 9.6). */
static uint64_t *pasid_entry(struct device *d, uint32_t pasid)
{
	uint64_t lo = ctx_lo(d);
	if (!(lo & VTD_SM_CTX_P))
		return NULL;
	uint64_t *dir = (uint64_t *)(uintptr_t)(lo & VTD_SM_CTX_PDP_MASK);
	uint64_t de = dir[pasid >> VTD_PASID_PDE_SHIFT];
	if (!(de & VTD_PASID_DIR_P))
		return NULL;
	uint64_t *tbl = (uint64_t *)(uintptr_t)(de & VTD_PASID_DIR_PTP_MASK);
	return &tbl[(pasid & 63) * VTD_PASID_ENTRY_QWORDS];
}

static bool pasid_present(struct device *d, uint32_t pasid)
{
	uint64_t *pe = pasid_entry(d, pasid);
	return pe && (pe[0] & VTD_PE0_P);
}

/* ---- A-3 ---- */

static void test_capability_query(void **s)
{
	(void)s;
	struct uiommu_host *h = th_host(NULL, false);
	struct device *dsa = th_device(h, "dsa0"), *dt = th_device(h, "dmatest0");
	assert_true(attr(dsa, IOMMU_DEV_ATTR_AUXD_CAPABILITY));
	/* No PASID capability: no finer granularity than the RID. */
	assert_false(attr(dt, IOMMU_DEV_ATTR_AUXD_CAPABILITY));
	assert_false(attr(th_device(h, "mf0"), IOMMU_DEV_ATTR_AUXD_CAPABILITY));
	/* Capable is not enabled: probe leaves every device in normal mode. */
	assert_false(attr(dsa, IOMMU_DEV_ATTR_AUXD_ENABLED));
	assert_false(attr(dt, IOMMU_DEV_ATTR_AUXD_ENABLED));
	assert_true(iommu_dev_has_feature(dsa, IOMMU_DEV_FEAT_AUX));
	assert_false(iommu_dev_has_feature(dt, IOMMU_DEV_FEAT_AUX));
	assert_false(iommu_dev_feature_enabled(dsa, IOMMU_DEV_FEAT_AUX));
	uiommu_host_free(h);
}

/* ---- A-4 ---- */

static void test_enable_sets_paside(void **s)
{
	(void)s;
	struct uiommu_host *h = th_host(NULL, false);
	struct device *dsa = th_device(h, "dsa0");
	assert_int_equal(th_fn(dsa)->rid, SID_DSA0);
	uint64_t lo = ctx_lo(dsa);
	assert_true(lo & VTD_SM_CTX_P);
	assert_false(lo & VTD_SM_CTX_PASIDE);
	/* The unit refuses PASID-tagged requests without PASIDE (SCT.6). */
	assert_int_equal(th_dma_faults(dsa, 5, 0x1000), VTD_FR_SM_CTX_PASIDE);

	assert_int_equal(set_attr(dsa, IOMMU_DEV_ATTR_AUXD_ENABLE), 0);
	assert_true(attr(dsa, IOMMU_DEV_ATTR_AUXD_ENABLED));
	assert_true(iommu_dev_feature_enabled(dsa, IOMMU_DEV_FEAT_AUX));
	lo = ctx_lo(dsa);
	assert_true(lo & VTD_SM_CTX_P);
	assert_true(lo & VTD_SM_CTX_PASIDE);
	/* The unit sees it too (its context cache was flushed): the request
	 * now gets as far as the PASID table. */
	uint8_t fr = th_dma_faults(dsa, 5, 0x1000);
	assert_int_not_equal(fr, VTD_FR_SM_CTX_PASIDE);
	/* Enabling twice is harmless. */
	assert_int_equal(set_attr(dsa, IOMMU_DEV_ATTR_AUXD_ENABLE), 0);
	assert_true(attr(dsa, IOMMU_DEV_ATTR_AUXD_ENABLED));

	assert_int_equal(set_attr(dsa, IOMMU_DEV_ATTR_AUXD_DISABLE), 0);
	assert_false(attr(dsa, IOMMU_DEV_ATTR_AUXD_ENABLED));
	assert_false(iommu_dev_feature_enabled(dsa, IOMMU_DEV_FEAT_AUX));
	/* And back on. */
	assert_int_equal(set_attr(dsa, IOMMU_DEV_ATTR_AUXD_ENABLE), 0);
	assert_true(ctx_lo(dsa) & VTD_SM_CTX_PASIDE);
	assert_true(attr(dsa, IOMMU_DEV_ATTR_AUXD_ENABLED));
	uiommu_host_free(h);
}

static void test_enable_errors(void **s)
{
	(void)s;
	struct uiommu_host *h = th_host(NULL, false);
	struct device *dt = th_device(h, "dmatest0");
	assert_int_equal(set_attr(dt, IOMMU_DEV_ATTR_AUXD_ENABLE), -EINVAL);
	assert_false(attr(dt, IOMMU_DEV_ATTR_AUXD_ENABLED));
	assert_false(ctx_lo(dt) & VTD_SM_CTX_PASIDE);
	uiommu_host_free(h);

	/* Capable on paper, but PASID cannot be enabled on the way to it. */
	h = th_host(no_prefix_topo, false);
	struct device *d = th_device(h, "d");
	assert_true(attr(d, IOMMU_DEV_ATTR_AUXD_CAPABILITY));
	assert_int_equal(set_attr(d, IOMMU_DEV_ATTR_AUXD_ENABLE), -ENODEV);
	assert_false(attr(d, IOMMU_DEV_ATTR_AUXD_ENABLED));
	assert_int_equal(iommu_dev_enable_feature(d, IOMMU_DEV_FEAT_AUX), -ENODEV);
	assert_false(iommu_dev_feature_enabled(d, IOMMU_DEV_FEAT_AUX));
	struct iommu_domain *dom = paging(d, 0);
	assert_int_equal(iommu_attach_device_aux(dom, d), -EPERM);
	assert_int_equal(iommu_domain_free(dom), 0);
	uiommu_host_free(h);
}

static void test_disable_busy_while_attached(void **s)
{
	(void)s;
	struct uiommu_host *h = th_host(NULL, false);
	struct device *dsa = th_device(h, "dsa0");
	struct iommu_domain *d = paging(dsa, 0);
	uint8_t *buf = th_alloc_page();
	assert_int_equal(iommu_map(d, 0x1000, pa(buf), 4096, RW), 0);
	assert_int_equal(set_attr(dsa, IOMMU_DEV_ATTR_AUXD_ENABLE), 0);
	assert_int_equal(iommu_attach_device_aux(d, dsa), 0);
	int p = aux_id(d);

	assert_int_equal(set_attr(dsa, IOMMU_DEV_ATTR_AUXD_DISABLE), -EBUSY);
	assert_true(attr(dsa, IOMMU_DEV_ATTR_AUXD_ENABLED));
	/* Refused means nothing changed: the slice still translates. */
	assert_true(ctx_lo(dsa) & VTD_SM_CTX_PASIDE);
	th_dma_lands(dsa, (uint32_t)p, 0x1000, buf, "busy");

	iommu_detach_device_aux(d, dsa);
	assert_int_equal(set_attr(dsa, IOMMU_DEV_ATTR_AUXD_DISABLE), 0);
	assert_false(attr(dsa, IOMMU_DEV_ATTR_AUXD_ENABLED));
	/* Disabled: aux attach is refused again. */
	assert_int_equal(iommu_attach_device_aux(d, dsa), -EPERM);
	assert_int_equal(iommu_domain_free(d), 0);
	uiommu_host_free(h);
	free(buf);
}

/* ---- A-5, A-11 ---- */

static void test_aux_attach_preconditions(void **s)
{
	(void)s;
	struct uiommu_host *h = th_host(NULL, false);
	struct device *dsa = th_device(h, "dsa0"), *dt = th_device(h, "dmatest0");
	struct iommu_domain *d = paging(dsa, 0);
	assert_int_equal(aux_id(d), -EINVAL);

	/* Not aux-enabled yet. */
	assert_int_equal(iommu_attach_device_aux(d, dsa), -EPERM);
	assert_int_equal(aux_id(d), -EINVAL);
	/* The refusal took no PASID: the lowest one is still free. */
	ioasid_t probe = iommu_alloc_global_pasid(dsa);
	assert_int_equal(probe, 1);
	iommu_free_global_pasid(dsa, probe);

	assert_int_equal(set_attr(dsa, IOMMU_DEV_ATTR_AUXD_ENABLE), 0);
	/* Only a paging domain the caller owns: not a default DMA domain... */
	struct iommu_domain *def = iommu_get_domain_for_dev(dt);
	assert_int_equal(iommu_domain_type(def), IOMMU_DOMAIN_DMA);
	assert_int_equal(iommu_attach_device_aux(def, dsa), -EPERM);
	/* ...nor the blocking domain. */
	int owner;
	assert_int_equal(iommu_group_claim_dma_owner(iommu_group_get(dt), &owner), 0);
	struct iommu_domain *blk = iommu_get_domain_for_dev(dt);
	assert_int_equal(iommu_domain_type(blk), IOMMU_DOMAIN_BLOCKED);
	assert_int_equal(iommu_attach_device_aux(blk, dsa), -EPERM);
	iommu_group_release_dma_owner(iommu_group_get(dt));
	assert_int_equal(iommu_alloc_global_pasid(dsa), 1);
	iommu_free_global_pasid(dsa, 1);

	/* The first aux attach gives the domain its default PASID, never
	 * 0 (RID_PASID), and programs that (RID, PASID) entry. */
	assert_int_equal(iommu_attach_device_aux(d, dsa), 0);
	int p = aux_id(d);
	assert_true(p >= 1 && (unsigned)p < iommu_dev_max_pasids(dsa));
	assert_ptr_equal(iommu_get_domain_for_dev_pasid(dsa, (ioasid_t)p), d);
	uint64_t *pe = pasid_entry(dsa, (uint32_t)p);
	assert_non_null(pe);
	assert_true(pe[0] & VTD_PE0_P);
	assert_int_equal(VTD_PE0_PGTT(pe[0]), VTD_PGTT_SS);
	struct dmar_domain *dm = to_dmar_domain(d);
	assert_int_equal(pe[0] & VTD_PE0_SSPTPTR_MASK, pa(dm->pgt.root));
	assert_int_equal(VTD_PE1_DID(pe[1]), domain_id_on(dm, unit_of(dsa)));
	assert_int_not_equal(VTD_PE1_DID(pe[1]), 0);
	/* The RID is left alone. */
	assert_int_equal(iommu_domain_type(iommu_get_domain_for_dev(dsa)), IOMMU_DOMAIN_DMA);

	/* A second domain gets a different PASID (item 7). */
	struct iommu_domain *d2 = paging(dsa, IOMMU_DOMAIN_FLAG_FIRST_STAGE);
	assert_int_equal(iommu_attach_device_aux(d2, dsa), 0);
	int p2 = aux_id(d2);
	assert_true(p2 >= 1 && p2 != p);
	pe = pasid_entry(dsa, (uint32_t)p2);
	assert_non_null(pe);
	assert_int_equal(VTD_PE0_PGTT(pe[0]), VTD_PGTT_FS);
	assert_int_equal(pe[2] & VTD_PE2_FSPTPTR_MASK, pa(to_dmar_domain(d2)->pgt.root));

	iommu_detach_device_aux(d, dsa);
	iommu_detach_device_aux(d2, dsa);
	assert_int_equal(iommu_domain_free(d), 0);
	assert_int_equal(iommu_domain_free(d2), 0);
	uiommu_host_free(h);
}

static void test_identity_domain_not_aux(void **s)
{
	(void)s;
	struct uiommu_host *h = NULL;
	struct uiommu_host_opts o = { .default_identity = true, .no_drivers = true };
	assert_int_equal(uiommu_host_new(&o, &h, NULL, 0), 0);
	struct device *dsa = th_device(h, "dsa0");
	struct iommu_domain *id = iommu_get_domain_for_dev(th_device(h, "dmatest0"));
	assert_int_equal(iommu_domain_type(id), IOMMU_DOMAIN_IDENTITY);
	assert_int_equal(set_attr(dsa, IOMMU_DEV_ATTR_AUXD_ENABLE), 0);
	assert_int_equal(iommu_attach_device_aux(id, dsa), -EPERM);
	assert_int_equal(aux_id(id), -EINVAL);
	uiommu_host_free(h);
}

/* ---- the scenario of the cover letter ---- */

static void test_two_aux_domains_isolated(void **s)
{
	(void)s;
	struct uiommu_host *h = th_host(NULL, false);
	struct device *dsa = th_device(h, "dsa0");
	struct iommu_domain *d0 = paging(dsa, 0), *d1 = paging(dsa, 0),
			    *d2 = paging(dsa, IOMMU_DOMAIN_FLAG_FIRST_STAGE);
	uint8_t *b0 = th_alloc_page(), *b1 = th_alloc_page(), *b2 = th_alloc_page();
	uint8_t *only2 = th_alloc_page();
	const uint64_t X = 0x100000, Y = 0x300000;
	assert_int_equal(iommu_map(d0, X, pa(b0), 4096, RW), 0);
	assert_int_equal(iommu_map(d1, X, pa(b1), 4096, RW), 0);
	assert_int_equal(iommu_map(d2, X, pa(b2), 4096, RW), 0);
	assert_int_equal(iommu_map(d2, Y, pa(only2), 4096, RW), 0);

	/* The whole function's RID domain first (A-8 forbids it later). */
	assert_int_equal(iommu_attach_device(d0, dsa), 0);
	assert_int_equal(set_attr(dsa, IOMMU_DEV_ATTR_AUXD_ENABLE), 0);
	assert_int_equal(iommu_attach_device_aux(d1, dsa), 0);
	assert_int_equal(iommu_attach_device_aux(d2, dsa), 0);
	int p1 = aux_id(d1), p2 = aux_id(d2);
	assert_true(p1 > 0 && p2 > 0 && p1 != p2);

	th_dma_lands(dsa, (uint32_t)p1, X, b1, "slice1");
	th_dma_lands(dsa, (uint32_t)p2, X, b2, "slice2");
	th_dma_lands(dsa, PCI_NO_PASID, X, b0, "whole");
	/* Each landed only where it should: the others still hold their own. */
	assert_memory_equal(b1, "slice1", 6);
	assert_memory_equal(b2, "slice2", 6);
	assert_memory_equal(b0, "whole", 5);

	/* Y exists only in D2: nobody else reaches it. */
	th_dma_lands(dsa, (uint32_t)p2, Y, only2, "onlyD2");
	th_dma_faults(dsa, (uint32_t)p1, Y);
	th_dma_faults(dsa, PCI_NO_PASID, Y);
	assert_memory_equal(only2, "onlyD2", 6);
	/* A PASID nobody was given. */
	th_dma_faults(dsa, (uint32_t)(p1 > p2 ? p1 : p2) + 1, X);

	iommu_detach_device_aux(d1, dsa);
	iommu_detach_device_aux(d2, dsa);
	iommu_detach_device(d0, dsa);
	assert_int_equal(iommu_domain_free(d0), 0);
	assert_int_equal(iommu_domain_free(d1), 0);
	assert_int_equal(iommu_domain_free(d2), 0);
	uiommu_host_free(h);
	free(b0);
	free(b1);
	free(b2);
	free(only2);
}

/* ---- A-7 ---- */

static void test_one_domain_aux_and_normal(void **s)
{
	(void)s;
	struct uiommu_host *h = th_host(NULL, false);
	struct device *dsa = th_device(h, "dsa0"), *dt = th_device(h, "dmatest0");
	struct iommu_domain *d = paging(dsa, 0);
	uint8_t *buf = th_alloc_page();
	assert_int_equal(iommu_map(d, 0x5000, pa(buf), 4096, RW), 0);
	assert_int_equal(set_attr(dsa, IOMMU_DEV_ATTR_AUXD_ENABLE), 0);
	assert_int_equal(iommu_attach_device_aux(d, dsa), 0);
	int p = aux_id(d);
	/* Not a separate domain type: the same domain on a whole device. */
	assert_int_equal(iommu_attach_device(d, dt), 0);
	assert_int_equal(aux_id(d), p);
	th_dma_lands(dsa, (uint32_t)p, 0x5000, buf, "aux");
	th_dma_lands(dt, PCI_NO_PASID, 0x5000, buf, "normal");
	/* Mappings added later reach both. */
	uint8_t *b2 = th_alloc_page();
	assert_int_equal(iommu_map(d, 0x6000, pa(b2), 4096, RW), 0);
	th_dma_lands(dsa, (uint32_t)p, 0x6000, b2, "aux2");
	th_dma_lands(dt, PCI_NO_PASID, 0x6000, b2, "normal2");
	/* And an unmap is seen by both. */
	assert_int_equal(iommu_unmap(d, 0x6000, 4096), 4096);
	th_dma_faults(dsa, (uint32_t)p, 0x6000);
	th_dma_faults(dt, PCI_NO_PASID, 0x6000);

	iommu_detach_device(d, dt);
	assert_int_equal(aux_id(d), p);
	th_dma_lands(dsa, (uint32_t)p, 0x5000, buf, "aux after");
	iommu_detach_device_aux(d, dsa);
	assert_int_equal(iommu_domain_free(d), 0);
	uiommu_host_free(h);
	free(buf);
	free(b2);
}

static void test_one_domain_two_aux_devices(void **s)
{
	(void)s;
	struct uiommu_host *h = th_host(two_pasid_topo, false);
	struct device *x = th_device(h, "x"), *y = th_device(h, "y"), *z = th_device(h, "z");
	struct iommu_domain *d = paging(x, 0);
	uint8_t *buf = th_alloc_page();
	assert_int_equal(iommu_map(d, 0x5000, pa(buf), 4096, RW), 0);
	assert_int_equal(set_attr(x, IOMMU_DEV_ATTR_AUXD_ENABLE), 0);
	assert_int_equal(set_attr(y, IOMMU_DEV_ATTR_AUXD_ENABLE), 0);
	assert_int_equal(iommu_attach_device_aux(d, x), 0);
	int p = aux_id(d);
	/* The aux id is the domain's, not the device's: the same on y. */
	assert_int_equal(iommu_attach_device_aux(d, y), 0);
	assert_int_equal(aux_id(d), p);
	assert_int_equal(iommu_aux_get_pasid(d, y), p);
	assert_int_equal(iommu_attach_device(d, z), 0);
	assert_int_equal(aux_id(d), p);
	th_dma_lands(x, (uint32_t)p, 0x5000, buf, "x");
	th_dma_lands(y, (uint32_t)p, 0x5000, buf, "y");
	th_dma_lands(z, PCI_NO_PASID, 0x5000, buf, "z");
	assert_int_equal(iommu_domain_free(d), -EBUSY);

	/* the PASID stays while any device still uses it. */
	iommu_detach_device_aux(d, x);
	assert_int_equal(aux_id(d), p);
	th_dma_faults(x, (uint32_t)p, 0x5000);
	th_dma_lands(y, (uint32_t)p, 0x5000, buf, "y alone");
	struct iommu_domain *other = paging(x, 0);
	assert_int_equal(iommu_attach_device_aux(other, x), 0);
	assert_int_not_equal(aux_id(other), p);
	iommu_detach_device_aux(other, x);
	/* Gone with the last user, and handed out again. */
	iommu_detach_device_aux(d, y);
	assert_int_equal(aux_id(d), -EINVAL);
	th_dma_faults(y, (uint32_t)p, 0x5000);
	assert_int_equal(iommu_attach_device_aux(other, y), 0);
	assert_int_equal(aux_id(other), p);
	iommu_detach_device_aux(other, y);
	iommu_detach_device(d, z);
	assert_int_equal(iommu_domain_free(d), 0);
	assert_int_equal(iommu_domain_free(other), 0);
	uiommu_host_free(h);
	free(buf);
}

/* ---- A-8 ---- */

static void test_normal_attach_refused_with_aux(void **s)
{
	(void)s;
	struct uiommu_host *h = th_host(NULL, false);
	struct device *dsa = th_device(h, "dsa0");
	struct iommu_domain *def = iommu_get_domain_for_dev(dsa);
	struct iommu_domain *aux = paging(dsa, 0), *whole = paging(dsa, 0);
	uint8_t *buf = th_alloc_page();
	assert_int_equal(iommu_map(whole, 0x1000, pa(buf), 4096, RW), 0);
	assert_int_equal(set_attr(dsa, IOMMU_DEV_ATTR_AUXD_ENABLE), 0);
	assert_int_equal(iommu_attach_device_aux(aux, dsa), 0);

	/* The device cannot be handed out whole while slices are in use. */
	assert_int_equal(iommu_attach_device(whole, dsa), -EPERM);
	assert_int_equal(iommu_attach_group(whole, iommu_group_get(dsa)), -EPERM);
	assert_ptr_equal(iommu_get_domain_for_dev(dsa), def);
	th_dma_faults(dsa, PCI_NO_PASID, 0x1000);
	/* Nor claimed by a user for the same reason. */
	int owner;
	assert_int_equal(iommu_group_claim_dma_owner(iommu_group_get(dsa), &owner), -EBUSY);
	assert_false(iommu_group_dma_owner_claimed(iommu_group_get(dsa)));

	iommu_detach_device_aux(aux, dsa);
	assert_int_equal(iommu_attach_device(whole, dsa), 0);
	th_dma_lands(dsa, PCI_NO_PASID, 0x1000, buf, "whole");
	iommu_detach_device(whole, dsa);
	assert_int_equal(iommu_domain_free(aux), 0);
	assert_int_equal(iommu_domain_free(whole), 0);
	uiommu_host_free(h);
	free(buf);
}

/* A-8 on the owned paths: a user that owns the DSA's group and then sees
 * aux domains attached cannot put a domain on its RID, neither through
 * VFIO_SET_IOMMU (group-owned attach) nor by replacing the group's. */
static void test_owned_attach_refused_with_aux(void **s)
{
	(void)s;
	struct uiommu_host *h = th_host(NULL, false);
	struct device *dsa = th_device(h, "dsa0");
	struct iommu_group *g = iommu_group_get(dsa);
	struct iommu_domain *aux = paging(dsa, 0), *whole = paging(dsa, 0);
	uint8_t *buf = th_alloc_page();
	assert_int_equal(iommu_map(whole, 0x1000, pa(buf), 4096, RW), 0);
	int cfd = vfio_open_container(h), gfd = vfio_open_group(h, iommu_group_id(g));
	assert_true(cfd >= 0 && gfd >= 0);
	assert_int_equal(vfio_ioctl(h, gfd, VFIO_GROUP_SET_CONTAINER, (unsigned long)&cfd), 0);
	assert_true(iommu_group_dma_owner_claimed(g));
	struct iommu_domain *blocking = iommu_get_domain_for_dev(dsa);
	assert_int_equal(iommu_domain_type(blocking), IOMMU_DOMAIN_BLOCKED);
	assert_int_equal(set_attr(dsa, IOMMU_DEV_ATTR_AUXD_ENABLE), 0);
	assert_int_equal(iommu_attach_device_aux(aux, dsa), 0);
	int p = aux_id(aux);

	assert_int_equal(vfio_ioctl(h, cfd, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU), -EPERM);
	assert_int_equal(iommu_attach_group_owned(whole, g), -EPERM);
	assert_int_equal(iommu_group_replace_domain(g, whole), -EPERM);
	/* Nothing changed: the RID still blocked, the slice still there, no
	 * backend on the container. */
	assert_ptr_equal(iommu_get_domain_for_dev(dsa), blocking);
	assert_ptr_equal(iommu_get_domain_for_dev_pasid(dsa, (ioasid_t)p), aux);
	th_dma_faults(dsa, PCI_NO_PASID, 0x1000);
	struct vfio_iommu_type1_info info = { .argsz = sizeof(info) };
	assert_int_equal(vfio_ioctl(h, cfd, VFIO_IOMMU_GET_INFO, (unsigned long)&info), -EINVAL);

	iommu_detach_device_aux(aux, dsa);
	assert_int_equal(iommu_group_replace_domain(g, whole), 0);
	th_dma_lands(dsa, PCI_NO_PASID, 0x1000, buf, "whole");
	assert_int_equal(iommu_group_replace_domain(g, blocking), 0);
	vfio_close(h, gfd);
	vfio_close(h, cfd);
	assert_int_equal(iommu_domain_free(aux), 0);
	iommu_unmap(whole, 0x1000, 4096);
	assert_int_equal(iommu_domain_free(whole), 0);
	uiommu_host_free(h);
	free(buf);
}

/* ---- A-9 ---- */

/* A domain's depth comes from the unit serving the device it is made
 * for, not from whichever unit the firmware listed first. */
static void test_domain_depth_from_serving_unit(void **s)
{
	(void)s;
	struct uiommu_host *h = th_host(deep_topo, false);
	struct device *x = th_device(h, "x"), *y = th_device(h, "y");
	assert_ptr_not_equal(unit_of(x), unit_of(y));
	uint8_t *buf = th_alloc_page();
	struct iommu_domain *d = paging(y, 0);
	/* 57 bits of IOVA: five levels, what unit b walks. */
	assert_true(d->geometry.aperture_end == (1ull << 57) - 1);
	assert_int_equal(iommu_map(d, 1ull << 50, pa(buf), 4096, RW), 0);
	assert_int_equal(iommu_attach_device(d, y), 0);
	th_dma_lands(y, PCI_NO_PASID, 1ull << 50, buf, "above 2^48");
	iommu_detach_device(d, y);
	assert_int_equal(iommu_unmap(d, 1ull << 50, 4096), 4096);
	assert_int_equal(iommu_domain_free(d), 0);
	/* And x's domain has the three levels unit a walks. */
	d = paging(x, 0);
	assert_true(d->geometry.aperture_end == (1ull << 39) - 1);
	assert_int_equal(iommu_map(d, 0x1000, pa(buf), 4096, RW), 0);
	assert_int_equal(iommu_attach_device(d, x), 0);
	th_dma_lands(x, PCI_NO_PASID, 0x1000, buf, "x");
	iommu_detach_device(d, x);
	iommu_unmap(d, 0x1000, 4096);
	assert_int_equal(iommu_domain_free(d), 0);
	uiommu_host_free(h);
	free(buf);
}

static void test_address_width_check(void **s)
{
	(void)s;
	struct uiommu_host *h = th_host(width_topo, false);
	struct device *x = th_device(h, "x"), *y = th_device(h, "y");
	assert_ptr_not_equal(unit_of(x), unit_of(y));
	uint8_t *buf = th_alloc_page(), *b2 = th_alloc_page();
	assert_int_equal(set_attr(y, IOMMU_DEV_ATTR_AUXD_ENABLE), 0);

	/* Maps above what unit b can address: refused there, both ways. */
	struct iommu_domain *high = paging(x, 0);
	assert_int_equal(iommu_map(high, 1ull << 45, pa(buf), 4096, RW), 0);
	assert_int_equal(iommu_attach_device_aux(high, y), -EFAULT);
	assert_int_equal(iommu_attach_device(high, y), -EFAULT);
	assert_int_equal(aux_id(high), -EINVAL);
	/* The failure left no PASID taken and no entry programmed. */
	assert_int_equal(iommu_alloc_global_pasid(y), 1);
	iommu_free_global_pasid(y, 1);
	assert_false(pasid_present(y, 1));
	assert_null(iommu_get_domain_for_dev_pasid(y, 1));
	th_dma_faults(y, 1, 1ull << 30);
	assert_int_equal(iommu_domain_type(iommu_get_domain_for_dev(y)), IOMMU_DOMAIN_DMA);
	/* It still suits the unit that can address it. */
	assert_int_equal(iommu_attach_device(high, x), 0);
	th_dma_lands(x, PCI_NO_PASID, 1ull << 45, buf, "high");
	iommu_detach_device(high, x);

	/* Below 2^39 it fits: the extra level is trimmed for unit b. */
	struct iommu_domain *low = paging(x, 0);
	assert_int_equal(iommu_map(low, 0x1000, pa(buf), 4096, RW), 0);
	assert_int_equal(iommu_map(low, (1ull << 39) - 4096, pa(b2), 4096, RW), 0);
	assert_int_equal(iommu_attach_device_aux(low, y), 0);
	int p = aux_id(low);
	uint64_t *pe = pasid_entry(y, (uint32_t)p);
	assert_non_null(pe);
	assert_int_equal(VTD_PE0_AW(pe[0]), 1); /* 3-level, 39-bit */
	th_dma_lands(y, (uint32_t)p, 0x1000, buf, "trimmed");
	th_dma_lands(y, (uint32_t)p, (1ull << 39) - 4096, b2, "top");
	/* Emptied and refilled: the table unit b walks from stays in place. */
	assert_int_equal(iommu_unmap(low, 0, 1ull << 39), 2 * 4096);
	th_dma_faults(y, (uint32_t)p, 0x1000);
	assert_int_equal(iommu_map(low, 0x1000, pa(buf), 4096, RW), 0);
	th_dma_lands(y, (uint32_t)p, 0x1000, buf, "refilled");
	/* The same domain on unit a keeps its four levels. */
	assert_int_equal(set_attr(x, IOMMU_DEV_ATTR_AUXD_ENABLE), 0);
	assert_int_equal(iommu_attach_device_aux(low, x), 0);
	pe = pasid_entry(x, (uint32_t)p);
	assert_int_equal(VTD_PE0_AW(pe[0]), 2);
	th_dma_lands(x, (uint32_t)p, 0x1000, buf, "full");
	iommu_detach_device_aux(low, x);

	/* Normal attach trims the same way. */
	struct iommu_domain *rid = paging(x, 0);
	assert_int_equal(iommu_map(rid, 0x2000, pa(b2), 4096, RW), 0);
	iommu_detach_device_aux(low, y);
	assert_int_equal(iommu_attach_device(rid, y), 0);
	th_dma_lands(y, PCI_NO_PASID, 0x2000, b2, "rid trimmed");
	iommu_detach_device(rid, y);

	assert_int_equal(iommu_domain_free(high), 0);
	assert_int_equal(iommu_domain_free(low), 0);
	assert_int_equal(iommu_domain_free(rid), 0);
	uiommu_host_free(h);
	free(buf);
	free(b2);
}

static void test_trimmed_domain_refuses_high_maps(void **s)
{
	(void)s;
	struct uiommu_host *h = th_host(width_topo, false);
	struct device *x = th_device(h, "x"), *y = th_device(h, "y");
	uint8_t *buf = th_alloc_page();
	assert_int_equal(set_attr(y, IOMMU_DEV_ATTR_AUXD_ENABLE), 0);
	struct iommu_domain *d = paging(x, 0);
	assert_int_equal(iommu_attach_device_aux(d, y), 0);
	/* Once trimmed to unit b's 39 bits, a mapping above them could never
	 * be reached through it: refused like the 2018 map path did
	 * ("iommu width is not sufficient for the mapped address"). */
	int rc = iommu_map(d, 1ull << 45, pa(buf), 4096, RW);
	if (!rc)
		iommu_unmap(d, 1ull << 45, 4096);
	iommu_detach_device_aux(d, y);
	assert_int_equal(iommu_domain_free(d), 0);
	uiommu_host_free(h);
	free(buf);
	assert_int_equal(rc, -EFAULT);
}

/* ---- A-10 ---- */

struct fault_rec {
	unsigned n;
	uint64_t iova;
};

static int on_fault(struct iommu_domain *d, struct device *dv, uint64_t iova, int flags,
		    void *token)
{
	struct fault_rec *f = token;
	f->n++;
	f->iova = iova;
	return 0;
}

static void test_detach_tears_down_and_frees_pasid(void **s)
{
	(void)s;
	struct uiommu_host *h = th_host(two_pasid_topo, false);
	struct device *x = th_device(h, "x");
	struct iommu_domain *d0 = paging(x, 0), *d1 = paging(x, 0), *d2 = paging(x, 0);
	uint8_t *b0 = th_alloc_page(), *b1 = th_alloc_page();
	assert_int_equal(iommu_map(d0, 0x1000, pa(b0), 4096, RW), 0);
	assert_int_equal(iommu_map(d1, 0x1000, pa(b1), 4096, RW), 0);
	assert_int_equal(iommu_attach_device(d0, x), 0);
	assert_int_equal(set_attr(x, IOMMU_DEV_ATTR_AUXD_ENABLE), 0);
	assert_int_equal(iommu_attach_device_aux(d1, x), 0);
	int p1 = aux_id(d1);
	struct fault_rec f1 = { 0 };
	iommu_set_fault_handler(d1, on_fault, &f1);
	th_dma_lands(x, (uint32_t)p1, 0x1000, b1, "before");
	assert_true(pasid_present(x, (uint32_t)p1));
	uint16_t did1 = VTD_PE1_DID(pasid_entry(x, (uint32_t)p1)[1]);
	/* While attached, the slice's faults are d1's. */
	th_dma_faults(x, (uint32_t)p1, 0x2000);
	assert_int_equal(f1.n, 1);
	assert_int_equal(f1.iova, 0x2000);

	iommu_detach_device_aux(d1, x);
	/* The entry is gone from memory and from the unit's caches. */
	assert_false(pasid_present(x, (uint32_t)p1));
	assert_null(iommu_get_domain_for_dev_pasid(x, (ioasid_t)p1));
	uint8_t fr = th_dma_faults(x, (uint32_t)p1, 0x1000);
	assert_true(fr == VTD_FR_SM_PTE_P || fr == VTD_FR_SM_PDE_P);
	/* Not d1's fault any more, and the RID is untouched. */
	assert_int_equal(f1.n, 1);
	th_dma_lands(x, PCI_NO_PASID, 0x1000, b0, "rid");
	/* The PASID went back: the next domain's first aux attach gets it. */
	assert_int_equal(aux_id(d1), -EINVAL);
	assert_int_equal(iommu_attach_device_aux(d2, x), 0);
	assert_int_equal(aux_id(d2), p1);
	/* d1's domain ID on the unit went back too, and d2 got it. */
	assert_int_equal(VTD_PE1_DID(pasid_entry(x, (uint32_t)p1)[1]), did1);
	/* d1's old mappings are not reachable through the reused PASID. */
	th_dma_faults(x, (uint32_t)p1, 0x1000);

	/* Detaching a domain that was never aux-attached does nothing. */
	iommu_detach_device_aux(d0, x);
	iommu_detach_device_aux(d1, x);
	th_dma_lands(x, PCI_NO_PASID, 0x1000, b0, "rid kept");
	assert_ptr_equal(iommu_get_domain_for_dev_pasid(x, (ioasid_t)p1), d2);
	assert_int_equal(aux_id(d2), p1);
	/* Nor does a second detach. */
	iommu_detach_device_aux(d2, x);
	iommu_detach_device_aux(d2, x);
	assert_int_equal(aux_id(d2), -EINVAL);

	iommu_detach_device(d0, x);
	assert_int_equal(iommu_domain_free(d0), 0);
	assert_int_equal(iommu_domain_free(d1), 0);
	assert_int_equal(iommu_domain_free(d2), 0);
	uiommu_host_free(h);
	free(b0);
	free(b1);
}

/* ---- A-12 ---- */

static void test_unmap_invalidates_pasid_caches(void **s)
{
	(void)s;
	/* dsa0 has a device TLB (ATS enabled at probe); x does not. */
	struct uiommu_host *hosts[2] = { th_host(NULL, false), th_host(two_pasid_topo, false) };
	const char *const names[2] = { "dsa0", "x" };
	const unsigned flags[2] = { 0, IOMMU_DOMAIN_FLAG_FIRST_STAGE };
	uint8_t *buf = th_alloc_page(), *other = th_alloc_page();
	for (unsigned n = 0; n < 2; n++) {
		struct device *d = th_device(hosts[n], names[n]);
		assert_int_equal(set_attr(d, IOMMU_DEV_ATTR_AUXD_ENABLE), 0);
		for (unsigned f = 0; f < 2; f++) {
			struct iommu_domain *dom = paging(d, flags[f]);
			assert_int_equal(iommu_attach_device_aux(dom, d), 0);
			uint32_t p = (uint32_t)aux_id(dom);
			assert_int_equal(iommu_map(dom, 0x400000, pa(buf), 4096, RW), 0);
			assert_int_equal(iommu_map(dom, 0x401000, pa(buf), 4096, RW), 0);
			th_dma_lands(d, p, 0x400000, buf, "cached");
			th_dma_lands(d, p, 0x401000, buf, "cached2");
			assert_int_equal(iommu_unmap(dom, 0x400000, 4096), 4096);
			th_dma_faults(d, p, 0x400000);
			/* The neighbour is still translated. */
			th_dma_lands(d, p, 0x401000, buf, "kept");
			/* Remapped: the new page, never the old one. */
			assert_int_equal(iommu_map(dom, 0x400000, pa(other), 4096, RW), 0);
			th_dma_lands(d, p, 0x400000, other, "remapped");
			assert_int_equal(iommu_unmap(dom, 0x400000, 8192), 8192);
			th_dma_faults(d, p, 0x400000);
			th_dma_faults(d, p, 0x401000);
			iommu_detach_device_aux(dom, d);
			assert_int_equal(iommu_domain_free(dom), 0);
		}
	}
	uiommu_host_free(hosts[0]);
	uiommu_host_free(hosts[1]);
	free(buf);
	free(other);
}

/* ---- item 15: subdevices of one parent ---- */

static void test_subdevices_share_one_entry(void **s)
{
	(void)s;
	struct uiommu_host *h = th_host(NULL, false);
	struct device *dsa = th_device(h, "dsa0");
	struct iommu_domain *d = paging(dsa, 0), *e = paging(dsa, 0);
	uint8_t *buf = th_alloc_page(), *buf2 = th_alloc_page();
	assert_int_equal(iommu_map(d, 0x1000, pa(buf), 4096, RW), 0);
	assert_int_equal(iommu_map(e, 0x1000, pa(buf2), 4096, RW), 0);
	assert_int_equal(set_attr(dsa, IOMMU_DEV_ATTR_AUXD_ENABLE), 0);

	/* Two mdevs of one parent in the same domain: one PASID, one entry. */
	assert_int_equal(iommu_attach_device_aux(d, dsa), 0);
	int p = aux_id(d);
	assert_int_equal(iommu_attach_device_aux(d, dsa), 0);
	assert_int_equal(aux_id(d), p);
	iommu_detach_device_aux(d, dsa);
	th_dma_lands(dsa, (uint32_t)p, 0x1000, buf, "one left");
	assert_int_equal(aux_id(d), p);
	assert_int_equal(set_attr(dsa, IOMMU_DEV_ATTR_AUXD_DISABLE), -EBUSY);
	assert_int_equal(iommu_domain_free(d), -EBUSY);
	iommu_detach_device_aux(d, dsa);
	th_dma_faults(dsa, (uint32_t)p, 0x1000);
	assert_int_equal(aux_id(d), -EINVAL);
	assert_int_equal(iommu_alloc_global_pasid(dsa), (ioasid_t)p);
	iommu_free_global_pasid(dsa, (ioasid_t)p);

	/* Interleaved: two domains, two subdevices each, detached in mixed
	 * order; every step leaves the others translating. */
	assert_int_equal(iommu_attach_device_aux(d, dsa), 0);
	assert_int_equal(iommu_attach_device_aux(e, dsa), 0);
	assert_int_equal(iommu_attach_device_aux(e, dsa), 0);
	assert_int_equal(iommu_attach_device_aux(d, dsa), 0);
	int pd = aux_id(d), pe = aux_id(e);
	iommu_detach_device_aux(e, dsa);
	th_dma_lands(dsa, (uint32_t)pe, 0x1000, buf2, "e");
	iommu_detach_device_aux(d, dsa);
	iommu_detach_device_aux(d, dsa);
	th_dma_faults(dsa, (uint32_t)pd, 0x1000);
	th_dma_lands(dsa, (uint32_t)pe, 0x1000, buf2, "e still");
	iommu_detach_device_aux(e, dsa);
	th_dma_faults(dsa, (uint32_t)pe, 0x1000);
	assert_int_equal(set_attr(dsa, IOMMU_DEV_ATTR_AUXD_DISABLE), 0);
	assert_int_equal(iommu_domain_free(d), 0);
	assert_int_equal(iommu_domain_free(e), 0);
	uiommu_host_free(h);
	free(buf);
	free(buf2);
}

/* ---- the names merged in Linux 5.2 ---- */

static void test_merged_api(void **s)
{
	(void)s;
	struct uiommu_host *h = th_host(NULL, false);
	struct device *dsa = th_device(h, "dsa0"), *dt = th_device(h, "dmatest0");
	struct iommu_domain *d = paging(dsa, 0);
	uint8_t *buf = th_alloc_page();
	assert_int_equal(iommu_map(d, 0x1000, pa(buf), 4096, RW), 0);

	assert_true(iommu_dev_has_feature(dsa, IOMMU_DEV_FEAT_AUX));
	assert_int_equal(iommu_aux_get_pasid(d, dsa), -ENODEV); /* not enabled */
	assert_int_equal(iommu_aux_attach_device(d, dsa), -EPERM);
	assert_int_equal(iommu_dev_enable_feature(dsa, IOMMU_DEV_FEAT_AUX), 0);
	assert_true(iommu_dev_feature_enabled(dsa, IOMMU_DEV_FEAT_AUX));
	assert_true(attr(dsa, IOMMU_DEV_ATTR_AUXD_ENABLED));
	assert_int_equal(iommu_aux_get_pasid(d, dsa), -EINVAL); /* nothing attached */
	assert_int_equal(iommu_aux_attach_device(d, dsa), 0);
	int p = iommu_aux_get_pasid(d, dsa);
	assert_true(p >= 1);
	assert_int_equal(p, aux_id(d));
	th_dma_lands(dsa, (uint32_t)p, 0x1000, buf, "merged");
	/* A device not in aux mode has no aux PASID to report. */
	assert_int_equal(iommu_aux_get_pasid(d, dt), -ENODEV);
	assert_int_equal(iommu_dev_disable_feature(dsa, IOMMU_DEV_FEAT_AUX), -EBUSY);
	iommu_aux_detach_device(d, dsa);
	th_dma_faults(dsa, (uint32_t)p, 0x1000);
	assert_int_equal(iommu_dev_disable_feature(dsa, IOMMU_DEV_FEAT_AUX), 0);
	assert_false(iommu_dev_feature_enabled(dsa, IOMMU_DEV_FEAT_AUX));
	assert_int_equal(iommu_aux_get_pasid(d, dsa), -ENODEV);
	/* Features the driver does not have. */
	assert_true(iommu_dev_enable_feature(dsa, IOMMU_DEV_FEAT_SVA) < 0);
	assert_false(iommu_dev_feature_enabled(dsa, IOMMU_DEV_FEAT_SVA));
	assert_int_equal(iommu_dev_enable_feature(dt, IOMMU_DEV_FEAT_AUX), -EINVAL);
	assert_false(iommu_dev_feature_enabled(dt, IOMMU_DEV_FEAT_AUX));
	assert_int_equal(iommu_domain_free(d), 0);
	uiommu_host_free(h);
	free(buf);
}

/* ---- teardown ---- */

/* Under LeakSanitizer, look for leaks right here so one names this test. */
extern int __lsan_do_recoverable_leak_check(void) __attribute__((weak));

static void test_teardown_with_everything_attached(void **s)
{
	(void)s;
	struct uiommu_host *h = th_host(NULL, false);
	struct device *dsa = th_device(h, "dsa0"), *dt = th_device(h, "dmatest0");
	struct device *m0 = th_device(h, "mf0");
	uint8_t *buf = th_alloc_page();
	struct iommu_domain *rid = paging(dsa, 0), *a1 = paging(dsa, 0),
			    *a2 = paging(dsa, IOMMU_DOMAIN_FLAG_FIRST_STAGE), *pas = paging(dsa, 0),
			    *owned = paging(dt, 0), *grp = paging(m0, 0);
	struct iommu_domain *all[] = { rid, a1, a2, pas, owned, grp };
	for (unsigned i = 0; i < ARRAY_SIZE(all); i++) {
		assert_int_equal(iommu_map(all[i], 0x1000, pa(buf), 4096, RW), 0);
		assert_int_equal(iommu_map(all[i], 1ull << 30, 1ull << 30, 1ull << 21, RW), 0);
	}
	assert_int_equal(iommu_attach_device(rid, dsa), 0);
	assert_int_equal(set_attr(dsa, IOMMU_DEV_ATTR_AUXD_ENABLE), 0);
	assert_int_equal(iommu_attach_device_aux(a1, dsa), 0);
	assert_int_equal(iommu_attach_device_aux(a1, dsa), 0);
	assert_int_equal(iommu_attach_device_aux(a2, dsa), 0);
	ioasid_t gp = iommu_alloc_global_pasid(dsa);
	assert_int_equal(iommu_attach_device_pasid(pas, dsa, gp), 0);
	int owner;
	assert_int_equal(iommu_group_claim_dma_owner(iommu_group_get(dt), &owner), 0);
	assert_int_equal(iommu_attach_group_owned(owned, iommu_group_get(dt)), 0);
	assert_int_equal(iommu_attach_group(grp, iommu_group_get(m0)), 0);
	th_dma_lands(dsa, (uint32_t)aux_id(a2), 0x1000, buf, "live");
	th_dma_lands(dt, PCI_NO_PASID, 0x1000, buf, "live");
	/* The host goes with everything in place; it releases it all. */
	uiommu_host_free(h);
	free(buf);
	if (__lsan_do_recoverable_leak_check)
		assert_int_equal(__lsan_do_recoverable_leak_check(), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_capability_query),
		cmocka_unit_test(test_enable_sets_paside),
		cmocka_unit_test(test_enable_errors),
		cmocka_unit_test(test_disable_busy_while_attached),
		cmocka_unit_test(test_aux_attach_preconditions),
		cmocka_unit_test(test_identity_domain_not_aux),
		cmocka_unit_test(test_two_aux_domains_isolated),
		cmocka_unit_test(test_one_domain_aux_and_normal),
		cmocka_unit_test(test_one_domain_two_aux_devices),
		cmocka_unit_test(test_normal_attach_refused_with_aux),
		cmocka_unit_test(test_owned_attach_refused_with_aux),
		cmocka_unit_test(test_address_width_check),
		cmocka_unit_test(test_domain_depth_from_serving_unit),
		cmocka_unit_test(test_trimmed_domain_refuses_high_maps),
		cmocka_unit_test(test_detach_tears_down_and_frees_pasid),
		cmocka_unit_test(test_unmap_invalidates_pasid_caches),
		cmocka_unit_test(test_subdevices_share_one_entry),
		cmocka_unit_test(test_merged_api),
		/* Last: it checks for leaks of everything before it too. */
		cmocka_unit_test(test_teardown_with_everything_attached),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
