/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Addresses with no memory behind them (issue #7; "physical address =
 * host virtual address" stays, but a bad one never kills the process):
 *   - a driver that points IQA, RTADDR, PQA, a wait descriptor's status
 *     or any table entry at such an address gets the hardware's answer -
 *     an invalidation queue error, the fault reason for an unreadable
 *     root, context, PASID or paging entry, a dropped page request;
 *   - DMA to memory a client unmapped while it was mapped for DMA fails
 *     cleanly: the device reports a DMA error and the machine counts it.
 * Every address used is inside the window the hardware decodes as memory
 * but reserved PROT_NONE: nothing is mapped there, as after munmap, and
 * nothing else can be mapped there meanwhile.
 */
#include <string.h>
#include <sys/mman.h>
#include <linux/vfio.h>

#include "harness.h"
#include "hw/machine.h"
#include <uiommu/hw/dmatest.h>
#include <uiommu/hw/dsa.h>
#include <uiommu/iommu.h>
#include <uiommu/vfio.h>

#define SSRW (VTD_SS_R | VTD_SS_W)
#define IOVA 0x40000000ull
#define DID 4
#define A(p) ((unsigned long)(uintptr_t)(p))

static uint8_t *no_memory(void)
{
	void *p = mmap(NULL, 2 * 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
		       -1, 0);
	assert_true(p != MAP_FAILED);
	return p;
}

static uint64_t pa(const void *p)
{
	return (uint64_t)(uintptr_t)p;
}

/* A second-stage mapping of IOVA for dmatest0, all in order. */
static struct th_pt pt;

static void mapped(struct th *t, void *page)
{
	th_dev_enable(t, SID_DMATEST0, false);
	th_context_setup(t, SID_DMATEST0, 0);
	th_pt_init(t, &pt, 4, false);
	th_pasid_ss(t, SID_DMATEST0, 0, DID, &pt, 0);
	th_map(t, &pt, IOVA, pa(page), 12, SSRW);
}

static void expect_read_fault(struct th *t, uint8_t reason)
{
	uint8_t v;
	assert_int_equal(th_read8(t, SID_DMATEST0, PCI_NO_PASID, IOVA, &v), -EFAULT);
	th_expect_fault(t, reason, IOVA);
}

static void test_root_table_gone(void **s)
{
	(void)s;
	struct th t;
	th_init(&t, NULL);
	mapped(&t, th_buf(&t));
	uint8_t *gone = no_memory();
	th_wr(&t, VTD_REG_RTADDR, pa(gone) | VTD_RTADDR_TTM_SCALABLE);
	th_wr32(&t, VTD_REG_GCMD, VTD_GCMD_SRTP | VTD_GCMD_TE | VTD_GCMD_QIE);
	th_inv_global(&t);
	expect_read_fault(&t, VTD_FR_SM_ROOT_ACCESS);
	munmap(gone, 2 * 4096);
	th_fini(&t);
}

static void test_context_table_gone(void **s)
{
	(void)s;
	struct th t;
	th_init(&t, NULL);
	mapped(&t, th_buf(&t));
	uint8_t *gone = no_memory();
	uint8_t bus = SID_DMATEST0 >> 8;
	t.root[bus * 2] = pa(gone) | VTD_SM_ROOT_P;
	th_inv_global(&t);
	expect_read_fault(&t, VTD_FR_SM_CTX_ACCESS);
	munmap(gone, 2 * 4096);
	th_fini(&t);
}

static void test_pasid_directory_gone(void **s)
{
	(void)s;
	struct th t;
	th_init(&t, NULL);
	mapped(&t, th_buf(&t));
	uint8_t *gone = no_memory();
	uint64_t *ce = th_context(&t, SID_DMATEST0);
	ce[0] = (ce[0] & ~VTD_PAGE_MASK) | pa(gone);
	th_inv_global(&t);
	expect_read_fault(&t, VTD_FR_SM_PDE_ACCESS);
	munmap(gone, 2 * 4096);
	th_fini(&t);
}

static void test_pasid_table_gone(void **s)
{
	(void)s;
	struct th t;
	th_init(&t, NULL);
	mapped(&t, th_buf(&t));
	uint8_t *gone = no_memory();
	uint64_t *ce = th_context(&t, SID_DMATEST0);
	uint64_t *dir = (uint64_t *)(uintptr_t)(ce[0] & VTD_PAGE_MASK);
	dir[0] = pa(gone) | VTD_PASID_DIR_P;
	th_inv_global(&t);
	expect_read_fault(&t, VTD_FR_SM_PTE_ACCESS);
	munmap(gone, 2 * 4096);
	th_fini(&t);
}

/* Both walks: the general one, and the engine's fast one once its stream
 * is resolved. */
static void test_page_table_gone(void **s)
{
	(void)s;
	struct th t;
	th_init(&t, NULL);
	mapped(&t, th_buf(&t));
	uint8_t v;
	assert_int_equal(th_read8(&t, SID_DMATEST0, PCI_NO_PASID, IOVA, &v), 0);
	uint8_t *gone = no_memory();
	uint64_t *pte3 = th_pte(&pt, IOVA, 3);
	*pte3 = pa(gone) | SSRW;
	th_inv_global(&t);
	expect_read_fault(&t, VTD_FR_SM_SS_ACCESS);
	/* The root itself. */
	uint64_t *pe = th_pasid_entry(&t, SID_DMATEST0, 0);
	pe[0] = (pe[0] & ~VTD_PE0_SSPTPTR_MASK) | pa(gone);
	th_inv_global(&t);
	expect_read_fault(&t, VTD_FR_SM_SS_ACCESS);
	munmap(gone, 2 * 4096);
	th_fini(&t);
}

static void test_invalidation_queue_gone(void **s)
{
	(void)s;
	struct th t;
	th_init(&t, NULL);
	uint8_t *gone = no_memory();
	/* Queue off, moved where nothing is, on again, one descriptor. */
	th_wr32(&t, VTD_REG_GCMD, VTD_GCMD_TE);
	th_wr(&t, VTD_REG_IQT, 0);
	th_wr(&t, VTD_REG_IQA, pa(gone) | VTD_IQA_DW);
	th_wr32(&t, VTD_REG_GCMD, VTD_GCMD_TE | VTD_GCMD_QIE);
	th_wr(&t, VTD_REG_IQT, 32);
	assert_true(th_rd(&t, VTD_REG_FSTS) & VTD_FSTS_IQE);
	assert_int_equal(th_rd(&t, VTD_REG_IQER) & 0xf, VTD_IQEI_FETCH);
	assert_int_equal(th_rd(&t, VTD_REG_IQH), 0);
	munmap(gone, 2 * 4096);
	th_fini(&t);
}

static void test_wait_status_gone(void **s)
{
	(void)s;
	struct th t;
	th_init(&t, NULL);
	uint8_t *gone = no_memory();
	th_qi_add(&t, vtd_inv_qw0(VTD_INV_WAIT) | VTD_INV_WAIT_SW | (1ull << 32), pa(gone), 0, 0);
	th_wr(&t, VTD_REG_IQT, t.iq_tail);
	assert_true(th_rd(&t, VTD_REG_FSTS) & VTD_FSTS_IQE);
	assert_int_equal(th_rd(&t, VTD_REG_IQER) & 0xf, VTD_IQEI_FETCH);
	munmap(gone, 2 * 4096);
	th_fini(&t);
}

static void test_page_request_queue_gone(void **s)
{
	(void)s;
	struct th t;
	th_init(&t, NULL);
	th_dev_enable(&t, SID_DSA, true);
	th_context_setup(&t, SID_DSA, VTD_SM_CTX_PRE | VTD_SM_CTX_DTE);
	uint8_t *gone = no_memory();
	th_wr(&t, VTD_REG_PQA, pa(gone));
	th_wr(&t, VTD_REG_PQH, 0);
	th_wr(&t, VTD_REG_PQT, 0);
	struct vtd_page_req r = { .sid = SID_DSA, .pasid = 3, .read = true, .last = true,
				  .addr = IOVA };
	enum vtd_prq_result res;
	assert_int_equal(vtd_page_request(t.u, &r, &res), 0);
	assert_int_equal(res, VTD_PRQ_AUTO_RESPONSE);
	assert_true(th_rd(&t, VTD_REG_PRS) & VTD_PRS_PRO);
	assert_int_equal(th_rd(&t, VTD_REG_PQT), 0);
	munmap(gone, 2 * 4096);
	th_fini(&t);
}

/* A leaf that translates to memory that is gone: the DMA stops there with
 * a master abort, counted, the bytes before it done. */
static void test_dma_to_memory_gone(void **s)
{
	(void)s;
	struct th t;
	th_init(&t, NULL);
	uint8_t *gone = no_memory();
	uint8_t *page = th_buf(&t);
	mapped(&t, page);
	th_map(&t, &pt, IOVA + 4096, pa(gone), 12, SSRW);
	uint64_t errors = atomic_load(&t.m->mem.dma_errors);
	uint8_t buf[64];
	memset(buf, 0x6b, sizeof(buf));
	struct pci_dma_result r;
	assert_int_equal(th_dma(&t, SID_DMATEST0, PCI_NO_PASID, false, IOVA + 4096 - 16, buf,
				sizeof(buf), true, &r),
			 -EIO);
	assert_int_equal(r.status, PCI_DMA_ABORT);
	assert_int_equal(r.done, 16);
	assert_int_equal(r.fault_addr, IOVA + 4096);
	assert_true(r.fault_write);
	assert_int_equal(page[4095], 0x6b);
	assert_int_equal(th_dma(&t, SID_DMATEST0, PCI_NO_PASID, false, IOVA + 4096, buf, 8, false,
				&r),
			 -EIO);
	assert_int_equal(r.status, PCI_DMA_ABORT);
	assert_int_equal(atomic_load(&t.m->mem.dma_errors), errors + 2);
	th_expect_no_fault(&t);
	munmap(gone, 2 * 4096);
	th_fini(&t);
}

/* Through VFIO: a client unmaps private memory it mapped for DMA. The
 * dmatest engine's copy ends in an abort; the DSA's descriptor completes
 * with a hardware error; the process lives. */
static void test_client_unmaps_dma_memory(void **s)
{
	(void)s;
	struct uiommu_host *h = th_host(NULL, false);
	struct device *d = th_device(h, "dmatest0");
	int cfd = vfio_open_container(h);
	int gfd = vfio_open_group(h, iommu_group_id(iommu_group_get(d)));
	assert_int_equal(vfio_ioctl(h, gfd, VFIO_GROUP_SET_CONTAINER, A(&cfd)), 0);
	assert_int_equal(vfio_ioctl(h, cfd, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU), 0);
	uint8_t *mem = mmap(NULL, 2 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			    -1, 0);
	memset(mem, 0x21, 2 * 4096);
	struct vfio_iommu_type1_dma_map m = {
		.argsz = sizeof(m),
		.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
		.vaddr = pa(mem), .iova = 0x100000, .size = 2 * 4096
	};
	assert_int_equal(vfio_ioctl(h, cfd, VFIO_IOMMU_MAP_DMA, A(&m)), 0);
	/* Replaced by nothing, as by munmap, but kept reserved. */
	assert_true(mmap(mem, 2 * 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1,
			 0) == mem);
	uint64_t errors = atomic_load(&h->m->mem.dma_errors);
	uint8_t b[16];
	struct pci_dma_result r;
	assert_int_equal(th_kdma(d, PCI_NO_PASID, 0x100000, b, sizeof(b), false, &r), -EIO);
	assert_int_equal(r.status, PCI_DMA_ABORT);
	assert_int_equal(atomic_load(&h->m->mem.dma_errors), errors + 1);
	struct vfio_iommu_type1_dma_unmap u = { .argsz = sizeof(u), .iova = 0x100000,
						.size = 2 * 4096 };
	assert_int_equal(vfio_ioctl(h, cfd, VFIO_IOMMU_UNMAP_DMA, A(&u)), 0);
	vfio_close(h, gfd);
	vfio_close(h, cfd);
	munmap(mem, 2 * 4096);
	uiommu_host_free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_root_table_gone),
		cmocka_unit_test(test_context_table_gone),
		cmocka_unit_test(test_pasid_directory_gone),
		cmocka_unit_test(test_pasid_table_gone),
		cmocka_unit_test(test_page_table_gone),
		cmocka_unit_test(test_invalidation_queue_gone),
		cmocka_unit_test(test_wait_status_gone),
		cmocka_unit_test(test_page_request_queue_gone),
		cmocka_unit_test(test_dma_to_memory_gone),
		cmocka_unit_test(test_client_unmaps_dma_memory),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
