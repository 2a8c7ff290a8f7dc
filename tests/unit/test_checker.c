/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Checker mode (SPEC H-12): a DMA served by a cache entry that the
 * in-memory tables no longer justify is reported with the requester, the
 * address, what the cache said and what the tables say. A driver that
 * forgets an invalidation is caught; uiommu's own driver never is.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "base/device.h"
#include <uiommu/iommu.h>

struct reports {
	int n;
	struct vtd_stale_report last;
	char cache[32], missing[64];
};

static void on_stale(struct vtd_unit *u, const struct vtd_stale_report *r, void *opaque)
{
	(void)u;
	struct reports *rep = opaque;
	rep->n++;
	rep->last = *r;
	snprintf(rep->cache, sizeof(rep->cache), "%s", r->cache);
	snprintf(rep->missing, sizeof(rep->missing), "%s", r->missing);
}

/* A bare-metal driver repoints a PTE and forgets the IOTLB flush. */
static void test_forgotten_iotlb_flush(void **s)
{
	(void)s;
	struct th t;
	th_init(&t, NULL);
	struct reports rep = { 0 };
	vtd_set_checker(t.u, on_stale, &rep);
	th_dev_enable(&t, SID_DMATEST0, false);
	th_context_setup(&t, SID_DMATEST0, 0);
	struct th_pt pt;
	th_pt_init(&t, &pt, 4, false);
	uint8_t *a = th_buf(&t), *b = th_buf(&t);
	th_map(&t, &pt, 0x3000, (uint64_t)(uintptr_t)a, 12, VTD_SS_R | VTD_SS_W);
	th_pasid_ss(&t, SID_DMATEST0, 0, 5, &pt, 0);
	assert_int_equal(th_write8(&t, SID_DMATEST0, PCI_NO_PASID, 0x3010, 1), 0);
	assert_int_equal(rep.n, 0);

	*th_pte(&pt, 0x3000, 1) = (uint64_t)(uintptr_t)b | VTD_SS_R | VTD_SS_W;
	/* The stale translation is still used, as on hardware - and reported. */
	assert_int_equal(th_write8(&t, SID_DMATEST0, PCI_NO_PASID, 0x3010, 2), 0);
	assert_int_equal(a[0x10], 2);
	assert_true(rep.n >= 1);
	assert_int_equal(rep.last.sid, SID_DMATEST0);
	assert_int_equal(rep.last.addr, 0x3010);
	assert_int_equal(rep.last.cached_out, (uint64_t)(uintptr_t)a + 0x10);
	assert_int_equal(rep.last.table_out, (uint64_t)(uintptr_t)b + 0x10);
	assert_string_equal(rep.cache, "IOTLB");
	assert_non_null(strstr(rep.missing, "IOTLB invalidation"));

	/* Invalidate as the driver should have: silence. */
	int before = rep.n;
	th_inv_iotlb(&t, VTD_INV_IOTLB_PSI, 5, 0x3000, 0);
	assert_int_equal(th_write8(&t, SID_DMATEST0, PCI_NO_PASID, 0x3010, 3), 0);
	assert_int_equal(b[0x10], 3);
	assert_int_equal(rep.n, before);

	/* Unmapped without a flush: the tables would fault. */
	*th_pte(&pt, 0x3000, 1) = 0;
	assert_int_equal(th_write8(&t, SID_DMATEST0, PCI_NO_PASID, 0x3010, 4), 0);
	assert_int_equal(rep.last.table_fault, VTD_FR_SM_SS_NOT_PRESENT);
	assert_int_equal(rep.last.table_out, 0);
	struct vtd_stats st;
	vtd_stats_get(t.u, &st);
	assert_true(st.stale_hits >= 2);
	th_fini(&t);
}

/* A torn-down PASID entry whose PASID-cache entry was kept. */
static void test_forgotten_pasid_cache_flush(void **s)
{
	(void)s;
	struct th t;
	th_init(&t, NULL);
	struct reports rep = { 0 };
	vtd_set_checker(t.u, on_stale, &rep);
	th_dev_enable(&t, SID_DSA, true);
	th_context_setup(&t, SID_DSA, 0);
	struct th_pt pt;
	th_pt_init(&t, &pt, 4, true);
	uint8_t *a = th_buf(&t);
	th_map(&t, &pt, 0x5000, (uint64_t)(uintptr_t)a, 12, VTD_FS_P | VTD_FS_RW | VTD_FS_US);
	th_map(&t, &pt, 0x6000, (uint64_t)(uintptr_t)a, 12, VTD_FS_P | VTD_FS_RW | VTD_FS_US);
	th_pasid_fs(&t, SID_DSA, 9, 6, &pt, 0);
	assert_int_equal(th_write8(&t, SID_DSA, 9, 0x5000, 1), 0);
	/* Clear the PASID entry, flush only the IOTLB: a walk of a new page
	 * still goes through the cached PASID entry. */
	memset(th_pasid_entry(&t, SID_DSA, 9), 0, 64);
	th_inv_piotlb(&t, VTD_INV_PIOTLB_ALL_IN_PASID, 6, 9, 0, 0);
	assert_int_equal(th_write8(&t, SID_DSA, 9, 0x6000, 2), 0);
	assert_int_equal(rep.n, 1);
	assert_string_equal(rep.cache, "context/PASID cache");
	assert_int_equal(rep.last.table_fault, VTD_FR_SM_PTE_P);
	assert_int_equal(rep.last.pasid, 9);
	th_fini(&t);
}

/* ATS: the IOTLB was flushed, the device TLB was not. */
static void test_forgotten_devtlb_flush(void **s)
{
	(void)s;
	struct th t;
	th_init(&t, NULL);
	struct reports rep = { 0 };
	vtd_set_checker(t.u, on_stale, &rep);
	th_dev_enable(&t, SID_DSA, true);
	struct hw_pci_function *d = th_dev(&t, SID_DSA);
	hw_pci_cfg_write(d, d->ecap_ats + PCI_ATS_CTRL, 2, PCI_ATS_CTRL_ENABLE);
	th_context_setup(&t, SID_DSA, VTD_SM_CTX_DTE);
	struct th_pt pt;
	th_pt_init(&t, &pt, 4, false);
	uint8_t *a = th_buf(&t);
	th_map(&t, &pt, 0x7000, (uint64_t)(uintptr_t)a, 12, VTD_SS_R | VTD_SS_W);
	th_pasid_ss(&t, SID_DSA, 0, 8, &pt, 0);
	assert_int_equal(th_write8(&t, SID_DSA, PCI_NO_PASID, 0x7000, 1), 0);
	*th_pte(&pt, 0x7000, 1) = 0;
	th_inv_iotlb(&t, VTD_INV_IOTLB_PSI, 8, 0x7000, 0);
	assert_int_equal(th_write8(&t, SID_DSA, PCI_NO_PASID, 0x7000, 2), 0);
	assert_true(rep.n >= 1);
	assert_string_equal(rep.cache, "device TLB");
	assert_string_equal(rep.missing, "device-TLB invalidation");
	int before = rep.n;
	th_inv_devtlb(&t, SID_DSA, PCI_NO_PASID, 0x7000, false);
	uint8_t v;
	assert_int_equal(th_read8(&t, SID_DSA, PCI_NO_PASID, 0x7000, &v), -EFAULT);
	assert_int_equal(rep.n, before);
	th_fini(&t);
}

/* uiommu's driver, under checker mode, through everything that changes
 * translations: never a stale use. */
static void test_real_driver_never_caught(void **s)
{
	(void)s;
	struct uiommu_host *h;
	char err[256];
	struct uiommu_host_opts o = { .checker = true, .no_drivers = true };
	assert_int_equal(uiommu_host_new(&o, &h, err, sizeof(err)), 0);
	struct reports rep = { 0 };
	struct vtd_unit *u = uiommu_host_unit(h, 0);
	vtd_set_checker(u, on_stale, &rep);

	struct device *dsa = uiommu_device_find(h, "dsa0");
	struct device *dt = uiommu_device_find(h, "dmatest0");
	hw_pci_cfg_write(th_fn(dsa), PCI_COMMAND, 2, PCI_COMMAND_MASTER);
	hw_pci_cfg_write(th_fn(dt), PCI_COMMAND, 2, PCI_COMMAND_MASTER);
	uint8_t *buf = aligned_alloc(4096, 4 * 4096);
	assert_non_null(buf);
	memset(buf, 0, 4 * 4096);
	struct iommu_domain *d1 = iommu_paging_domain_alloc(dsa);
	struct iommu_domain *d2 = iommu_paging_domain_alloc_flags(dsa, IOMMU_DOMAIN_FLAG_FIRST_STAGE,
								   NULL);
	assert_non_null(d1);
	assert_non_null(d2);
	struct pci_dma_attr none = { .pasid = PCI_NO_PASID };
	struct pci_dma_result r;
	uint8_t v = 7;

	for (int round = 0; round < 20; round++) {
		uint64_t pa = (uint64_t)(uintptr_t)buf + 4096 * (round % 4);
		/* RID path on dmatest0, through map/DMA/unmap/DMA. */
		assert_int_equal(iommu_attach_device(d1, dt), 0);
		assert_int_equal(iommu_map(d1, 0x10000, pa, 4096, IOMMU_READ | IOMMU_WRITE), 0);
		assert_int_equal(pci_dma_write(NULL, th_fn(dt), &none, 0x10000, &v, 1, &r), 0);
		assert_int_equal(iommu_unmap(d1, 0x10000, 4096), 4096);
		assert_int_equal(pci_dma_write(NULL, th_fn(dt), &none, 0x10000, &v, 1, &r),
				 -EFAULT);
		iommu_detach_device(d1, dt);

		/* Aux/PASID path on dsa0 with ATS: both formats, replace. */
		assert_int_equal(iommu_set_dev_attr(dsa, IOMMU_DEV_ATTR_AUXD_ENABLE, NULL), 0);
		assert_int_equal(iommu_attach_device_aux(d1, dsa), 0);
		int pasid;
		assert_int_equal(iommu_domain_get_attr(d1, DOMAIN_ATTR_AUXD_ID, &pasid), 0);
		struct pci_dma_attr pa_attr = { .pasid = (uint32_t)pasid };
		assert_int_equal(iommu_map(d1, 0x20000, pa, 4096, IOMMU_READ | IOMMU_WRITE), 0);
		assert_int_equal(iommu_map(d2, 0x20000, pa, 4096, IOMMU_READ), 0);
		assert_int_equal(pci_dma_write(NULL, th_fn(dsa), &pa_attr, 0x20000, &v, 1, &r), 0);
		assert_int_equal(iommu_replace_device_pasid(d2, dsa, (ioasid_t)pasid), 0);
		assert_int_equal(pci_dma_write(NULL, th_fn(dsa), &pa_attr, 0x20000, &v, 1, &r),
				 -EFAULT); /* read-only in d2 */
		assert_int_equal(pci_dma_read(NULL, th_fn(dsa), &pa_attr, 0x20000, &v, 1, &r), 0);
		assert_int_equal(iommu_replace_device_pasid(d1, dsa, (ioasid_t)pasid), 0);
		/* dsa0 has ATS on: this read fills its device TLB, which the
		 * unmap must then invalidate too. */
		assert_int_equal(pci_dma_read(NULL, th_fn(dsa), &pa_attr, 0x20000, &v, 1, &r), 0);
		assert_int_equal(iommu_unmap(d1, 0x20000, 4096), 4096);
		assert_int_equal(pci_dma_read(NULL, th_fn(dsa), &pa_attr, 0x20000, &v, 1, &r),
				 -EFAULT);
		assert_int_equal(iommu_unmap(d2, 0x20000, 4096), 4096);
		iommu_detach_device_aux(d1, dsa);
		assert_int_equal(pci_dma_read(NULL, th_fn(dsa), &pa_attr, 0x20000, &v, 1, &r),
				 -EFAULT);
		assert_int_equal(iommu_set_dev_attr(dsa, IOMMU_DEV_ATTR_AUXD_DISABLE, NULL), 0);
	}
	assert_int_equal(rep.n, 0);
	struct vtd_stats st;
	vtd_stats_get(u, &st);
	assert_int_equal(st.stale_hits, 0);
	assert_true(st.faults > 0);
	assert_int_equal(iommu_domain_free(d1), 0);
	assert_int_equal(iommu_domain_free(d2), 0);
	uiommu_host_free(h);
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_forgotten_iotlb_flush),
		cmocka_unit_test(test_forgotten_pasid_cache_flush),
		cmocka_unit_test(test_forgotten_devtlb_flush),
		cmocka_unit_test(test_real_driver_never_caught),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
