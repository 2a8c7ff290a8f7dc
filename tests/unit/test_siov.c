/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Scalable IOV end to end (the 2018 series, patches 6-8, and its cover
 * letter): an idxd mdev (one dedicated WQ of the DSA) assigned through
 * VFIO type1, isolated by an auxiliary domain's PASID.
 *
 *   create mdev -> container attach (aux domain, PASID allocated) ->
 *   parent programs the PASID into WQCFG at vENABLE_WQ -> MAP_DMA ->
 *   DMA works -> UNMAP_DMA -> DMA faults (completion record) ->
 *   detach frees the PASID;
 * plus tenants isolated from each other, two ADIs of one DSA sharing a
 * container (one domain, one PASID), a group whose mdevs name different
 * iommu devices (external domain: the parent cannot enable its WQ), and
 * the virtual device's register rules.
 */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <linux/vfio.h>

#include "harness.h"
#include "hw/machine.h"
#include "base/device.h"
#include "host.h"
#include "iommu/group.h"
#include "mdev/mdev.h"
#include <uiommu/hw/dsa.h>
#include <uiommu/iommu.h>
#include <uiommu/mdev.h>
#include <uiommu/vfio.h>

#define A(p) ((unsigned long)(uintptr_t)(p))
#define CFG_OFF UIOMMU_VFIO_REGION_OFFSET(VFIO_PCI_CONFIG_REGION_INDEX)
#define BAR0_OFF UIOMMU_VFIO_REGION_OFFSET(VFIO_PCI_BAR0_REGION_INDEX)
#define BAR2_OFF UIOMMU_VFIO_REGION_OFFSET(VFIO_PCI_BAR2_REGION_INDEX)
#define RW (VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE)

#define IOVA_SRC 0x100000ull
#define IOVA_DST 0x200000ull
#define IOVA_CR  0x300000ull

static const char *const two_dsa_topo =
	"{\"devices\":["
	"{\"bdf\":\"00:01.0\",\"type\":\"rc_endpoint\",\"name\":\"dsa0\",\"model\":\"dsa\","
	"\"pasid_bits\":20,\"siov\":true},"
	"{\"bdf\":\"00:02.0\",\"type\":\"rc_endpoint\",\"name\":\"dsa1\",\"model\":\"dsa\","
	"\"pasid_bits\":20,\"siov\":true}]}";

/* One user of one ADI: its container, group, device and buffers. */
struct tenant {
	struct uiommu_host *h;
	const char *uuid;
	struct device *mdev;
	int cfd, gfd, dfd;
	uint8_t *src, *dst;
	struct dsa_completion_record *cr;
};

static void *pages(size_t n)
{
	void *p = mmap(NULL, n * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(p != MAP_FAILED);
	return p;
}

static long map(struct tenant *t, uint64_t iova, void *va, uint64_t size)
{
	struct vfio_iommu_type1_dma_map m = { .argsz = sizeof(m), .flags = RW,
					      .vaddr = (uint64_t)(uintptr_t)va, .iova = iova,
					      .size = size };
	return vfio_ioctl(t->h, t->cfd, VFIO_IOMMU_MAP_DMA, A(&m));
}

static long unmap(struct tenant *t, uint64_t iova, uint64_t size)
{
	struct vfio_iommu_type1_dma_unmap u = { .argsz = sizeof(u), .iova = iova, .size = size };
	return vfio_ioctl(t->h, t->cfd, VFIO_IOMMU_UNMAP_DMA, A(&u));
}

static uint64_t vreg(struct tenant *t, unsigned off)
{
	uint64_t v = 0;
	assert_int_equal(vfio_pread(t->h, t->dfd, &v, 8, BAR0_OFF + off), 8);
	return v;
}

static void vreg_w32(struct tenant *t, unsigned off, uint32_t v)
{
	assert_int_equal(vfio_pwrite(t->h, t->dfd, &v, 4, BAR0_OFF + off), 4);
}

static unsigned vcmd(struct tenant *t, unsigned cmd, uint32_t operand)
{
	vreg_w32(t, DSA_REG_CMD, DSA_CMD(cmd, operand));
	return DSA_CMDSTS_ERR((uint32_t)vreg(t, DSA_REG_CMDSTS));
}

static void vbus_master(struct tenant *t)
{
	uint16_t cmd = 0x6;
	assert_int_equal(vfio_pwrite(t->h, t->dfd, &cmd, 2, CFG_OFF + 4), 2);
}

/* Create the ADI and give it to a user: the steps of the cover letter up
 * to the device fd. */
static void tenant_open(struct tenant *t, struct uiommu_host *h, const char *uuid)
{
	memset(t, 0, sizeof(*t));
	t->h = h;
	t->uuid = uuid;
	assert_int_equal(uiommu_mdev_create(h, "dsa-1dwq-v1", uuid, &t->mdev), 0);
	t->cfd = vfio_open_container(h);
	t->gfd = vfio_open_group(h, iommu_group_id(iommu_group_get(t->mdev)));
	assert_true(t->cfd >= 0 && t->gfd >= 0);
	assert_int_equal(vfio_ioctl(h, t->gfd, VFIO_GROUP_SET_CONTAINER, A(&t->cfd)), 0);
	assert_int_equal(vfio_ioctl(h, t->cfd, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU), 0);
	t->dfd = vfio_ioctl(h, t->gfd, VFIO_GROUP_GET_DEVICE_FD, A(uuid));
	assert_true(t->dfd >= 0);
	t->src = pages(1);
	t->dst = pages(1);
	t->cr = pages(1);
}

static void tenant_enable(struct tenant *t)
{
	vbus_master(t);
	assert_int_equal(vcmd(t, DSA_CMD_ENABLE_DEVICE, 0), DSA_CMDSTS_SUCCESS);
	assert_int_equal(vcmd(t, DSA_CMD_ENABLE_WQ, 0), DSA_CMDSTS_SUCCESS);
}

static void tenant_map(struct tenant *t)
{
	assert_int_equal(map(t, IOVA_SRC, t->src, 4096), 0);
	assert_int_equal(map(t, IOVA_DST, t->dst, 4096), 0);
	assert_int_equal(map(t, IOVA_CR, t->cr, 4096), 0);
}

static void tenant_close(struct tenant *t)
{
	vfio_close(t->h, t->dfd);
	vfio_close(t->h, t->gfd);
	vfio_close(t->h, t->cfd);
	assert_int_equal(uiommu_mdev_remove(t->h, t->uuid), 0);
	munmap(t->src, 4096);
	munmap(t->dst, 4096);
	munmap(t->cr, 4096);
}

/* MOVDIR64B a MEMMOVE to the ADI's portal and wait for its record. */
static uint8_t memmove_desc(struct tenant *t, uint64_t src, uint64_t dst, uint32_t len)
{
	memset(t->cr, 0, sizeof(*t->cr));
	struct dsa_hw_desc d = {
		.flags_opcode = DSA_DESC_MAKE_OP(DSA_OPCODE_MEMMOVE, DSA_FLAG_CRAV | DSA_FLAG_RCR),
		.completion_addr = IOVA_CR,
		.src_addr = src,
		.dst_addr = dst,
		.xfer_size = len,
	};
	assert_int_equal(vfio_pwrite(t->h, t->dfd, &d, sizeof(d), BAR2_OFF), sizeof(d));
	struct timespec t0, now;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	uint8_t st;
	while (!(st = __atomic_load_n(&t->cr->status, __ATOMIC_ACQUIRE))) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec - t0.tv_sec > 10)
			fail_msg("no completion record");
		sched_yield();
	}
	return st;
}

static uint32_t pwqcfg(struct uiommu_host *h, unsigned wq, unsigned dword)
{
	uint64_t v;
	assert_int_equal(hw_pci_bar_read(th_fn(uiommu_device_find(h, "dsa0")), 0,
					 DSA_WQCFG(wq, dword), 4, &v),
			 0);
	return (uint32_t)v;
}

/* The physical WQ behind an mdev: the one whose WQCFG carries its PASID
 * and is enabled. */
static int pwq_with_pasid(struct uiommu_host *h, uint32_t pasid)
{
	for (unsigned w = 0; w < 64; w++) {
		uint32_t d2 = pwqcfg(h, w, 2);
		if ((d2 & DSA_WQCFG_PASID_EN) && DSA_WQCFG_PASID_OF(d2) == pasid &&
		    DSA_WQCFG_STATE(pwqcfg(h, w, 6)) == DSA_WQ_STATE_ENABLED)
			return (int)w;
	}
	return -1;
}

static void test_cover_letter_flow(void **s)
{
	(void)s;
	struct uiommu_host *h = th_host(NULL, true);
	struct device *dsa = uiommu_device_find(h, "dsa0");
	struct tenant t;
	tenant_open(&t, h, "11111111-2222-4333-8444-555555555555");

	/* Attach: an aux domain, its default PASID on the DSA's RID. */
	struct iommu_domain *dom = mdev_get_iommu_domain(t.mdev);
	assert_non_null(dom);
	int pasid = -1;
	assert_int_equal(iommu_domain_get_attr(dom, DOMAIN_ATTR_AUXD_ID, &pasid), 0);
	assert_true(pasid > 0);
	assert_int_equal(iommu_aux_get_pasid(dom, dsa), pasid);
	assert_ptr_equal(iommu_get_domain_for_dev_pasid(dsa, (ioasid_t)pasid), dom);
	/* The DSA's own RID stays in the kernel's domain. */
	assert_ptr_not_equal(iommu_get_domain_for_dev(dsa), dom);

	/* The parent programs the PASID when the user enables its WQ. */
	assert_int_equal(pwq_with_pasid(h, (uint32_t)pasid), -1);
	tenant_enable(&t);
	int pwq = pwq_with_pasid(h, (uint32_t)pasid);
	assert_true(pwq >= 0);
	assert_true(pwqcfg(h, (unsigned)pwq, 2) & DSA_WQCFG_MODE_DEDICATED);
	assert_false(pwqcfg(h, (unsigned)pwq, 2) & DSA_WQCFG_PRIV);

	/* MAP_DMA, then DMA works. */
	tenant_map(&t);
	for (int i = 0; i < 4096; i++)
		t.src[i] = (uint8_t)(i ^ 0xa5);
	assert_int_equal(memmove_desc(&t, IOVA_SRC, IOVA_DST, 4096), DSA_COMP_SUCCESS);
	assert_memory_equal(t.src, t.dst, 4096);

	/* UNMAP_DMA, then the same descriptor faults: the completion record
	 * says so and names the address; nothing is written. */
	assert_int_equal(unmap(&t, IOVA_SRC, 4096), 0);
	memset(t.dst, 0, 4096);
	uint8_t st = memmove_desc(&t, IOVA_SRC, IOVA_DST, 4096);
	assert_int_equal(DSA_COMP_STATUS(st), DSA_COMP_PAGE_FAULT_NOBOF);
	assert_int_equal(t.cr->fault_addr, IOVA_SRC);
	assert_int_equal(t.cr->bytes_completed, 0);
	for (int i = 0; i < 4096; i++)
		assert_int_equal(t.dst[i], 0);
	/* The write side: a read-only-mapped destination. */
	assert_int_equal(map(&t, IOVA_SRC, t.src, 4096), 0);
	assert_int_equal(unmap(&t, IOVA_DST, 4096), 0);
	struct vfio_iommu_type1_dma_map ro = { .argsz = sizeof(ro), .flags = VFIO_DMA_MAP_FLAG_READ,
					       .vaddr = (uint64_t)(uintptr_t)t.dst,
					       .iova = IOVA_DST, .size = 4096 };
	assert_int_equal(vfio_ioctl(h, t.cfd, VFIO_IOMMU_MAP_DMA, A(&ro)), 0);
	st = memmove_desc(&t, IOVA_SRC, IOVA_DST, 64);
	assert_int_equal(DSA_COMP_STATUS(st), DSA_COMP_PAGE_FAULT_NOBOF);
	assert_true(st & DSA_COMP_STATUS_WRITE);

	/* Detach: closing the device stops the WQ; leaving the container
	 * takes the aux domain away and frees the PASID. */
	vfio_close(h, t.dfd);
	assert_int_equal(pwq_with_pasid(h, (uint32_t)pasid), -1);
	assert_int_equal(vfio_ioctl(h, t.gfd, VFIO_GROUP_UNSET_CONTAINER, 0), 0);
	assert_null(mdev_get_iommu_domain(t.mdev));
	assert_null(iommu_get_domain_for_dev_pasid(dsa, (ioasid_t)pasid));
	/* The PASID is free: the next allocation gets it back. */
	ioasid_t again = iommu_alloc_global_pasid(dsa);
	assert_int_equal(again, (ioasid_t)pasid);
	iommu_free_global_pasid(dsa, again);
	t.dfd = -1;
	tenant_close(&t);
	uiommu_host_free(h);
}

/* Two tenants on two ADIs of one DSA: each PASID reaches only its own
 * container's mappings. */
/* A tenant resetting its WQ resets its own view; the physical WQ keeps
 * the parent's configuration, so the next tenant on it can use it. */
static void test_reset_wq_keeps_parent_config(void **s)
{
	(void)s;
	struct uiommu_host *h = th_host(NULL, true);
	struct tenant a, b;
	tenant_open(&a, h, "aaaaaaaa-0000-4000-8000-000000000001");
	tenant_enable(&a);
	int pa = -1;
	assert_int_equal(iommu_domain_get_attr(mdev_get_iommu_domain(a.mdev),
					       DOMAIN_ATTR_AUXD_ID, &pa), 0);
	int pwq = pwq_with_pasid(h, (uint32_t)pa);
	assert_true(pwq >= 0);
	uint32_t cfg[4];
	for (unsigned d = 0; d < 4; d++)
		cfg[d] = pwqcfg(h, (unsigned)pwq, d);
	assert_int_equal(vcmd(&a, DSA_CMD_RESET_WQ, DSA_WQ_OPERAND(0)), DSA_CMDSTS_SUCCESS);
	/* Disabled, PASID gone, but sized and dedicated as the parent set it. */
	assert_int_equal(DSA_WQCFG_STATE(pwqcfg(h, (unsigned)pwq, 6)), DSA_WQ_STATE_DISABLED);
	assert_int_equal(pwqcfg(h, (unsigned)pwq, 0), cfg[0]);
	assert_true(pwqcfg(h, (unsigned)pwq, 2) & DSA_WQCFG_MODE_DEDICATED);
	assert_int_equal(pwqcfg(h, (unsigned)pwq, 3), cfg[3]);
	/* The tenant can enable it again, and the WQ works. */
	assert_int_equal(vcmd(&a, DSA_CMD_ENABLE_WQ, 0), DSA_CMDSTS_SUCCESS);
	tenant_map(&a);
	a.src[7] = 0x42;
	assert_int_equal(memmove_desc(&a, IOVA_SRC, IOVA_DST, 64), DSA_COMP_SUCCESS);
	assert_int_equal(a.dst[7], 0x42);
	assert_int_equal(vcmd(&a, DSA_CMD_RESET_WQ, DSA_WQ_OPERAND(0)), DSA_CMDSTS_SUCCESS);
	tenant_close(&a);
	/* The next mdev gets that WQ and can enable it. */
	tenant_open(&b, h, "bbbbbbbb-0000-4000-8000-000000000002");
	tenant_enable(&b);
	int pb = -1;
	assert_int_equal(iommu_domain_get_attr(mdev_get_iommu_domain(b.mdev),
					       DOMAIN_ATTR_AUXD_ID, &pb), 0);
	assert_int_equal(pwq_with_pasid(h, (uint32_t)pb), pwq);
	tenant_close(&b);
	uiommu_host_free(h);
}

/* A tenant unmaps (here: replaces with nothing) its source buffer while
 * it is still mapped for DMA: the descriptor completes with a hardware
 * error at that address, counted; nothing crashes. */
static void test_memory_gone_under_descriptor(void **s)
{
	(void)s;
	struct uiommu_host *h = th_host(NULL, true);
	struct tenant t;
	tenant_open(&t, h, "cccccccc-0000-4000-8000-000000000003");
	tenant_enable(&t);
	tenant_map(&t);
	assert_true(mmap(t.src, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) ==
		    t.src);
	uint64_t errors = atomic_load(&h->m->mem.dma_errors);
	uint8_t st = memmove_desc(&t, IOVA_SRC, IOVA_DST, 64);
	assert_int_equal(DSA_COMP_STATUS(st), DSA_COMP_HW_ERR1);
	assert_int_equal(t.cr->fault_addr, IOVA_SRC);
	assert_int_equal(t.cr->bytes_completed, 0);
	assert_true(atomic_load(&h->m->mem.dma_errors) > errors);
	/* The device goes on: the other buffers still work. */
	t.dst[0] = 0x19;
	assert_int_equal(memmove_desc(&t, IOVA_DST, IOVA_DST + 2048, 64), DSA_COMP_SUCCESS);
	assert_int_equal(t.dst[2048], 0x19);
	tenant_close(&t);
	uiommu_host_free(h);
}

static void test_tenants_isolated(void **s)
{
	(void)s;
	struct uiommu_host *h = th_host(NULL, true);
	struct tenant a, b;
	tenant_open(&a, h, "aaaaaaaa-0000-4000-8000-000000000001");
	tenant_open(&b, h, "bbbbbbbb-0000-4000-8000-000000000002");
	tenant_enable(&a);
	tenant_enable(&b);
	tenant_map(&a);
	tenant_map(&b);
	int pa, pb;
	iommu_domain_get_attr(mdev_get_iommu_domain(a.mdev), DOMAIN_ATTR_AUXD_ID, &pa);
	iommu_domain_get_attr(mdev_get_iommu_domain(b.mdev), DOMAIN_ATTR_AUXD_ID, &pb);
	assert_int_not_equal(pa, pb);

	memset(a.src, 0xaa, 4096);
	memset(b.src, 0xbb, 4096);
	memset(b.dst, 0x11, 4096);
	/* The same IOVAs mean different memory for each. */
	assert_int_equal(memmove_desc(&a, IOVA_SRC, IOVA_DST, 4096), DSA_COMP_SUCCESS);
	assert_int_equal(a.dst[100], 0xaa);
	assert_int_equal(b.dst[100], 0x11);
	/* B's buffer sits at an IOVA that only B mapped: A cannot reach it. */
	assert_int_equal(map(&b, 0x40000000, b.dst, 4096), 0);
	uint8_t st = memmove_desc(&a, IOVA_SRC, 0x40000000, 4096);
	assert_int_equal(DSA_COMP_STATUS(st), DSA_COMP_PAGE_FAULT_NOBOF);
	assert_int_equal(a.cr->fault_addr, 0x40000000);
	for (int i = 0; i < 4096; i++)
		assert_int_equal(b.dst[i], 0x11);
	tenant_close(&a);
	tenant_close(&b);
	uiommu_host_free(h);
}

/* Two ADIs of one DSA in one container: one domain, aux-attached once,
 * one PASID for both (the subdevice reference count keeps it until the
 * second leaves). */
static void test_two_adis_one_container(void **s)
{
	(void)s;
	struct uiommu_host *h = th_host(NULL, true);
	struct device *m1, *m2;
	const char *u1 = "cccccccc-0000-4000-8000-000000000001";
	const char *u2 = "cccccccc-0000-4000-8000-000000000002";
	assert_int_equal(uiommu_mdev_create(h, "dsa-1dwq-v1", u1, &m1), 0);
	assert_int_equal(uiommu_mdev_create(h, "dsa-1dwq-v1", u2, &m2), 0);
	int cfd = vfio_open_container(h);
	int g1 = vfio_open_group(h, iommu_group_id(iommu_group_get(m1)));
	int g2 = vfio_open_group(h, iommu_group_id(iommu_group_get(m2)));
	assert_int_equal(vfio_ioctl(h, g1, VFIO_GROUP_SET_CONTAINER, A(&cfd)), 0);
	assert_int_equal(vfio_ioctl(h, cfd, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU), 0);
	assert_int_equal(vfio_ioctl(h, g2, VFIO_GROUP_SET_CONTAINER, A(&cfd)), 0);
	struct iommu_domain *d1 = mdev_get_iommu_domain(m1), *d2 = mdev_get_iommu_domain(m2);
	assert_non_null(d1);
	assert_ptr_equal(d1, d2);
	int pasid;
	assert_int_equal(iommu_domain_get_attr(d1, DOMAIN_ATTR_AUXD_ID, &pasid), 0);
	struct device *dsa = uiommu_device_find(h, "dsa0");
	assert_int_equal(vfio_ioctl(h, g1, VFIO_GROUP_UNSET_CONTAINER, 0), 0);
	assert_null(mdev_get_iommu_domain(m1));
	assert_ptr_equal(iommu_get_domain_for_dev_pasid(dsa, (ioasid_t)pasid), d2);
	assert_int_equal(vfio_ioctl(h, g2, VFIO_GROUP_UNSET_CONTAINER, 0), 0);
	assert_null(iommu_get_domain_for_dev_pasid(dsa, (ioasid_t)pasid));
	vfio_close(h, g1);
	vfio_close(h, g2);
	vfio_close(h, cfd);
	uiommu_host_free(h);
}

/* Patch 8's decision: an mdev group whose mdevs name different iommu
 * devices cannot be isolated by one IOMMU domain; it goes to the
 * external domain, and an idxd ADI there cannot enable its WQ (no
 * PASID to program). */
static void test_group_with_different_iommu_devices(void **s)
{
	(void)s;
	struct uiommu_host *h = th_host(two_dsa_topo, true);
	struct device *m0, *m1;
	const char *u0 = "dddddddd-0000-4000-8000-000000000000";
	const char *u1 = "dddddddd-0000-4000-8000-000000000001";
	assert_int_equal(uiommu_mdev_create(h, "dsa0:dsa-1dwq-v1", u0, &m0), 0);
	assert_int_equal(uiommu_mdev_create(h, "dsa1:dsa-1dwq-v1", u1, &m1), 0);
	assert_ptr_equal(mdev_get_iommu_device(m0), uiommu_device_find(h, "dsa0"));
	assert_ptr_equal(mdev_get_iommu_device(m1), uiommu_device_find(h, "dsa1"));
	/* Put both in one group (what a parent sharing a group would do). */
	struct iommu_group *g0 = m0->group, *gone = m1->group;
	iommu_group_remove_device(m1);
	assert_int_equal(iommu_group_add_device(g0, m1), 0);

	int cfd = vfio_open_container(h);
	int gfd = vfio_open_group(h, iommu_group_id(g0));
	assert_int_equal(vfio_ioctl(h, gfd, VFIO_GROUP_SET_CONTAINER, A(&cfd)), 0);
	assert_int_equal(vfio_ioctl(h, cfd, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU), 0);
	assert_null(mdev_get_iommu_domain(m0));
	assert_null(mdev_get_iommu_domain(m1));
	struct tenant t = { .h = h, .cfd = cfd, .gfd = gfd };
	t.dfd = vfio_ioctl(h, gfd, VFIO_GROUP_GET_DEVICE_FD, A(u0));
	assert_true(t.dfd >= 0);
	vbus_master(&t);
	assert_int_equal(vcmd(&t, DSA_CMD_ENABLE_DEVICE, 0), DSA_CMDSTS_SUCCESS);
	assert_int_equal(vcmd(&t, DSA_CMD_ENABLE_WQ, 0), DSA_CMDSTS_ERR_PASID_EN);
	vfio_close(h, t.dfd);
	vfio_close(h, gfd);
	vfio_close(h, cfd);
	/* Give m1 its own group back so removal tears down what it built. */
	iommu_group_remove_device(m1);
	iommu_group_add_device(gone, m1);
	uiommu_host_free(h);
}

/* The virtual DSA an ADI shows: one WQ, host configuration read-only,
 * commands checked like the real register file. */
static void test_virtual_device_registers(void **s)
{
	(void)s;
	struct uiommu_host *h = th_host(NULL, true);
	struct tenant t;
	tenant_open(&t, h, "eeeeeeee-0000-4000-8000-000000000001");
	struct vfio_region_info ri = { .argsz = sizeof(ri), .index = VFIO_PCI_BAR2_REGION_INDEX };
	assert_int_equal(vfio_ioctl(h, t.dfd, VFIO_DEVICE_GET_REGION_INFO, A(&ri)), 0);
	assert_int_equal(ri.size, 4 * DSA_PORTAL_SIZE);
	uint16_t ids[2];
	assert_int_equal(vfio_pread(h, t.dfd, ids, 4, CFG_OFF), 4);
	assert_int_equal(ids[0], DSA_VENDOR_ID);
	assert_int_equal(ids[1], DSA_DEVICE_ID);

	assert_false(vreg(&t, DSA_REG_GENCAP) & DSA_GENCAP_CONFIG_EN);
	uint64_t wqcap = vreg(&t, DSA_REG_WQCAP);
	assert_int_equal(DSA_WQCAP_NUM_WQS(wqcap), 1);
	assert_false(wqcap & DSA_WQCAP_SHARED_MODE);
	assert_int_equal(DSA_GRPCAP_NUM_GROUPS(vreg(&t, DSA_REG_GRPCAP)), 1);
	/* The WQ's configuration is the host's; the PASID stays hidden. */
	uint32_t d2 = (uint32_t)vreg(&t, DSA_WQCFG(0, 2));
	assert_true(d2 & DSA_WQCFG_MODE_DEDICATED);
	assert_false(d2 & DSA_WQCFG_PASID_EN);
	vreg_w32(&t, DSA_WQCFG(0, 0), 1);
	assert_int_equal((uint32_t)vreg(&t, DSA_WQCFG(0, 0)) & 0xffff,
			 DSA_WQCAP_TOTAL_SIZE(wqcap));

	/* Commands in the wrong state. */
	assert_int_equal(vcmd(&t, DSA_CMD_ENABLE_WQ, 0), DSA_CMDSTS_ERR_DEV_NOTEN);
	assert_int_equal(vcmd(&t, DSA_CMD_ENABLE_DEVICE, 0), DSA_CMDSTS_ERR_BUSMASTER_EN);
	assert_int_equal(vcmd(&t, DSA_CMD_DISABLE_DEVICE, 0), DSA_CMDSTS_ERR_DIS_DEV_EN);
	vbus_master(&t);
	assert_int_equal(vcmd(&t, DSA_CMD_ENABLE_DEVICE, 0), DSA_CMDSTS_SUCCESS);
	assert_int_equal(vcmd(&t, DSA_CMD_ENABLE_DEVICE, 0), DSA_CMDSTS_ERR_DEV_ENABLED);
	assert_int_equal(DSA_STATE_ENABLED, vreg(&t, DSA_REG_GENSTS) & 3);
	assert_int_equal(vcmd(&t, DSA_CMD_ENABLE_WQ, 1), DSA_CMDSTS_INVAL_WQIDX);
	assert_int_equal(vcmd(&t, DSA_CMD_ENABLE_WQ, 0), DSA_CMDSTS_SUCCESS);
	assert_int_equal(vcmd(&t, DSA_CMD_ENABLE_WQ, 0), DSA_CMDSTS_ERR_WQ_ENABLED);
	assert_int_equal(DSA_WQCFG_STATE((uint32_t)vreg(&t, DSA_WQCFG(0, 6))),
			 DSA_WQ_STATE_ENABLED);
	assert_int_equal(vcmd(&t, 0x1f, 0), DSA_CMDSTS_INVAL_CMD);
	assert_int_equal(vcmd(&t, DSA_CMD_DRAIN_WQ, DSA_WQ_OPERAND(0)), DSA_CMDSTS_SUCCESS);
	assert_int_equal(vcmd(&t, DSA_CMD_DISABLE_WQ, DSA_WQ_OPERAND(3)), DSA_CMDSTS_INVAL_WQIDX);
	assert_int_equal(vcmd(&t, DSA_CMD_DISABLE_WQ, DSA_WQ_OPERAND(0)), DSA_CMDSTS_SUCCESS);
	assert_int_equal(DSA_WQCFG_STATE((uint32_t)vreg(&t, DSA_WQCFG(0, 6))),
			 DSA_WQ_STATE_DISABLED);

	/* Portal writes that are not one aligned 64-byte store go nowhere. */
	uint8_t junk[64] = { 0 };
	assert_int_equal(vfio_pwrite(h, t.dfd, junk, 32, BAR2_OFF), 32);
	assert_int_equal(vfio_pwrite(h, t.dfd, junk, 64, BAR2_OFF + 8), 64);
	/* Reset: everything back to disabled. */
	assert_int_equal(vfio_ioctl(h, t.dfd, VFIO_DEVICE_RESET, 0), 0);
	assert_int_equal(vreg(&t, DSA_REG_GENSTS) & 3, DSA_STATE_DISABLED);
	tenant_close(&t);
	uiommu_host_free(h);
}

/* Random register traffic from the user of an ADI: every command
 * number, every offset, portal writes of every size. The parent answers
 * or ignores; nothing crashes, and the physical device stays usable. */
static void test_virtual_device_random_writes(void **s)
{
	(void)s;
	struct uiommu_host *h = th_host(NULL, true);
	struct tenant t;
	tenant_open(&t, h, "ffffffff-0000-4000-8000-000000000001");
	vbus_master(&t);
	unsigned seed = 777;
	uint8_t buf[128];
	for (int i = 0; i < 4000; i++) {
		seed = seed * 1103515245u + 12345u;
		for (unsigned k = 0; k < sizeof(buf); k++)
			buf[k] = (uint8_t)(seed >> (k % 23));
		unsigned region = (seed >> 4) % 3 == 0 ? VFIO_PCI_BAR2_REGION_INDEX :
				  (seed >> 4) % 3 == 1 ? VFIO_PCI_BAR0_REGION_INDEX :
							 VFIO_PCI_CONFIG_REGION_INDEX;
		uint64_t off = UIOMMU_VFIO_REGION_OFFSET(region) + ((seed >> 7) % 0x4000);
		size_t len = 1u << ((seed >> 21) % 8);
		if ((seed >> 25) % 4 == 0) {
			/* A command: any code, any operand. */
			uint32_t c = seed;
			vfio_pwrite(h, t.dfd, &c, 4, BAR0_OFF + DSA_REG_CMD);
		} else if ((seed >> 25) % 4 == 1) {
			vfio_pread(h, t.dfd, buf, len, off);
		} else {
			vfio_pwrite(h, t.dfd, buf, len, off);
		}
	}
	/* Back to a clean state, then the real flow works. */
	assert_int_equal(vfio_ioctl(h, t.dfd, VFIO_DEVICE_RESET, 0), 0);
	tenant_enable(&t);
	tenant_map(&t);
	memset(t.src, 0x3c, 4096);
	assert_int_equal(memmove_desc(&t, IOVA_SRC, IOVA_DST, 4096), DSA_COMP_SUCCESS);
	assert_memory_equal(t.src, t.dst, 4096);
	tenant_close(&t);
	uiommu_host_free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cover_letter_flow),
		cmocka_unit_test(test_tenants_isolated),
		cmocka_unit_test(test_reset_wq_keeps_parent_config),
		cmocka_unit_test(test_memory_gone_under_descriptor),
		cmocka_unit_test(test_two_adis_one_container),
		cmocka_unit_test(test_group_with_different_iommu_devices),
		cmocka_unit_test(test_virtual_device_registers),
		cmocka_unit_test(test_virtual_device_random_writes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
