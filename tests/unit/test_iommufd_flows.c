/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The flows of the /dev/iommu proposal (section 4; SPEC U-4 .. U-8), each
 * run through the VFIO device cdev and /dev/iommu and checked by DMA
 * through the VT-d model and by what lands in memory:
 *
 *   4.1  bind, attach, map, DMA; a second device joins the same IOAS
 *   4.2  two IOASes: dev2 detached and attached to the second, the user
 *        shadowing the vIOMMU's mappings there
 *   4.5  a vPASID space beside the default one, on a pdev (type 5) and
 *        on idxd mdevs (type 6), the tenants isolated
 *   1.2  a pdev, an IOMMU-backed mdev and a software mdev on one IOAS
 *   1.4.2 shared-WQ mdevs (type 8): one pPASID per vPASID per VM, the
 *        portal refused until CPU PASID translation is on
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <linux/vfio.h>

#include <uiommu/iommufd_ext.h>

#include "cdev_utils.h"
#include "iommu/group.h"
#include "iommu/iommu.h"
#include "mdev/mdev.h"
#include "vfio/vfio.h"
#include <uiommu/mdev.h>

#define U(n) "0b7f2d6e-3c1a-4e5b-8f90-a1b2c3d4e5" #n

static const char *const two_dsa_topo =
	"{\"devices\":["
	"{\"bdf\":\"00:01.0\",\"type\":\"rc_endpoint\",\"name\":\"dsa0\",\"model\":\"dsa\","
	"\"pasid_bits\":20,\"siov\":true},"
	"{\"bdf\":\"00:02.0\",\"type\":\"rc_endpoint\",\"name\":\"dsa1\",\"model\":\"dsa\","
	"\"pasid_bits\":20,\"siov\":true},"
	"{\"bdf\":\"00:03.0\",\"type\":\"rc_endpoint\",\"name\":\"dmatest0\","
	"\"model\":\"dmatest\"}]}";

/* The VFIO device behind a device fd, as a parent driver sees it. */
static struct vfio_device *vdev_of_fd(int dfd)
{
	struct file *f = fget(dfd);
	struct vfio_device_file *df = vfio_device_file_from_file(f);
	fput(f);
	assert_non_null(df);
	return df->device;
}

static uint32_t pwqcfg(struct uiommu_host *h, const char *dsa, unsigned wq, unsigned dword)
{
	uint64_t v;
	assert_int_equal(hw_pci_bar_read(th_fn(uiommu_device_find(h, dsa)), 0,
					 DSA_WQCFG(wq, dword), 4, &v),
			 0);
	return (uint32_t)v;
}

/* The physical WQ an enabled dedicated WQ of dsa runs with `pasid`. */
static bool pwq_runs_with(struct uiommu_host *h, const char *dsa, uint32_t pasid)
{
	for (unsigned w = 0; w < 8; w++) {
		uint32_t d2 = pwqcfg(h, dsa, w, 2);
		if ((d2 & DSA_WQCFG_PASID_EN) && DSA_WQCFG_PASID_OF(d2) == pasid &&
		    DSA_WQCFG_STATE(pwqcfg(h, dsa, w, 6)) == DSA_WQ_STATE_ENABLED)
			return true;
	}
	return false;
}

/* ---- 4.1 ---- */

static void test_flow_4_1(void **s)
{
	(void)s;
	struct ifd t;
	ifd_open(&t);
	uint8_t *gpa = buf_alloc(1 << 20); /* the guest's memory at GPA 0 */
	int d1 = cdev_open(t.h, "dmatest0");
	uint32_t dev1;
	assert_int_equal(cdev_bind(d1, t.fd, &dev1), 0);
	uint32_t gpa_ioas, pt1;
	assert_int_equal(ioas_alloc(t.fd, &gpa_ioas), 0);
	pt1 = gpa_ioas;
	assert_int_equal(cdev_attach(d1, &pt1), 0);
	assert_int_equal(ioas_map_fixed(t.fd, gpa_ioas, gpa, 1 << 20, 0), 0);
	dt_bus_master(d1);
	dt_copy_lands(d1, gpa + 0x1000, 0x1000, gpa + 0x2000, 0x2000, 512, 1);

	/* More devices share the GPA space: dev2 joins the same HWPT. */
	int d2 = cdev_open(t.h, "dmatest1");
	uint32_t dev2, pt2 = gpa_ioas;
	assert_int_equal(cdev_bind(d2, t.fd, &dev2), 0);
	assert_int_not_equal(dev1, dev2);
	assert_int_equal(cdev_attach(d2, &pt2), 0);
	assert_int_equal(pt2, pt1);
	dt_bus_master(d2);
	dt_copy_lands(d2, gpa + 0x3000, 0x3000, gpa + 0x4000, 0x4000, 4096, 2);
	/* The mapping goes for both at once. */
	assert_int_equal(ioas_unmap(t.fd, gpa_ioas, 0, 1 << 20, NULL), 0);
	assert_int_equal(dt_copy(d1, 0x1000, 0x2000, 8), DMATEST_ERR_READ);
	assert_int_equal(dt_copy(d2, 0x1000, 0x2000, 8), DMATEST_ERR_READ);
	assert_int_equal(uiommu_close(d2), 0);
	assert_int_equal(uiommu_close(d1), 0);
	munmap(gpa, 1 << 20);
	ifd_close(&t);
}

/* ---- 4.2 ---- */

static void test_flow_4_2(void **s)
{
	(void)s;
	struct ifd t;
	ifd_open(&t);
	uint8_t *gpa = buf_alloc(1 << 20);
	uint32_t gpa_ioas, giova_ioas;
	assert_int_equal(ioas_alloc(t.fd, &gpa_ioas), 0);
	int d1 = cdev_open_bound(&t, "dmatest0", gpa_ioas, NULL);
	int d2 = cdev_open_bound(&t, "dmatest1", gpa_ioas, NULL);
	assert_int_equal(ioas_map_fixed(t.fd, gpa_ioas, gpa, 1 << 20, 0), 0);
	dt_bus_master(d1);
	dt_bus_master(d2);
	dt_copy_lands(d2, gpa + 0x1000, 0x1000, gpa + 0x5000, 0x5000, 64, 3);

	/* The guest gives dev2 an IOVA space: detach it first (blocked
	 * meanwhile), then attach it to giova_ioas. */
	assert_int_equal(ioas_alloc(t.fd, &giova_ioas), 0);
	assert_int_equal(cdev_detach(d2), 0);
	assert_int_equal(dt_copy(d2, 0x1000, 0x5000, 64), DMATEST_ERR_READ);
	dt_copy_lands(d1, gpa + 0x7000, 0x7000, gpa + 0x8000, 0x8000, 64, 4);
	uint32_t pt = giova_ioas;
	assert_int_equal(cdev_attach(d2, &pt), 0);
	/* The vIOMMU maps GIOVA 0x2000 -> GPA 0x1000 and GIOVA 0x3000 -> GPA
	 * 0x5000: the user shadows them with the HVAs of those GPAs. */
	assert_int_equal(ioas_map_fixed(t.fd, giova_ioas, gpa + 0x1000, 4096, 0x2000), 0);
	assert_int_equal(ioas_map_fixed(t.fd, giova_ioas, gpa + 0x5000, 4096, 0x3000), 0);
	dt_copy_lands(d2, gpa + 0x1000, 0x2000, gpa + 0x5000, 0x3000, 256, 5);
	/* dev2 reaches only what the vIOMMU mapped; dev1 is still on GPA. */
	assert_int_equal(dt_copy(d2, 0x1000, 0x3000, 64), DMATEST_ERR_READ);
	dt_copy_lands(d1, gpa + 0x5000, 0x5000, gpa + 0x9000, 0x9000, 256, 6);
	assert_int_equal(uiommu_close(d2), 0);
	assert_int_equal(uiommu_close(d1), 0);
	munmap(gpa, 1 << 20);
	ifd_close(&t);
}

/* ---- 4.5 on a pdev: vPASID == pPASID (type 5) ---- */

static void test_flow_4_5_pdev(void **s)
{
	(void)s;
	struct ifd t;
	ifd_open(&t); /* no drivers: the DSA is free for vfio-pci */
	struct device *dsa = th_device(t.h, "dsa0");
	uint8_t *gpa = buf_alloc(1 << 16), *gva = buf_alloc(1 << 16);
	int dfd = cdev_open(t.h, "dsa0");
	uint32_t devid;
	assert_int_equal(cdev_bind(dfd, t.fd, &devid), 0);
	/* The device says it has vPASIDs, used as they are. */
	struct {
		struct vfio_device_info info;
		struct vfio_device_info_cap_uiommu_pasid cap;
	} gi = { .info = { .argsz = sizeof(gi) } };
	assert_int_equal(ioc(dfd, VFIO_DEVICE_GET_INFO, &gi), 0);
	assert_true(gi.info.flags & VFIO_DEVICE_FLAGS_CAPS);
	assert_int_equal(gi.info.cap_offset, sizeof(gi.info));
	assert_int_equal(gi.cap.header.id, VFIO_DEVICE_INFO_CAP_UIOMMU_PASID);
	assert_int_equal(gi.cap.flags, 0);
	assert_int_equal(gi.cap.max_pasid_log2, 20);

	uint32_t gpa_ioas, gva_ioas, gpa_hwpt, gva_hwpt, plain;
	assert_int_equal(ioas_alloc(t.fd, &gpa_ioas), 0);
	assert_int_equal(ioas_alloc(t.fd, &gva_ioas), 0);
	assert_int_equal(ioas_map_fixed(t.fd, gpa_ioas, gpa, 1 << 16, 0x100000), 0);
	assert_int_equal(ioas_map_fixed(t.fd, gva_ioas, gva, 1 << 16, 0x100000), 0);
	assert_int_equal(hwpt_alloc(t.fd, devid, gpa_ioas, IOMMU_HWPT_ALLOC_PASID, &gpa_hwpt), 0);
	assert_int_equal(hwpt_alloc(t.fd, devid, gva_ioas, IOMMU_HWPT_ALLOC_PASID, &gva_hwpt), 0);
	assert_int_equal(hwpt_alloc(t.fd, devid, gva_ioas, 0, &plain), 0);
	uint32_t pt = gpa_hwpt;
	assert_int_equal(cdev_attach(dfd, &pt), 0);
	/* A PASID needs a PASID-capable HWPT; vPASID 0 is the RID's. */
	pt = plain;
	assert_int_equal(cdev_attach_pasid(dfd, 5, &pt), -EINVAL);
	pt = gva_hwpt;
	assert_int_equal(cdev_attach_pasid(dfd, 0, &pt), -EINVAL);
	assert_int_equal(cdev_attach_pasid(dfd, 1u << 20, &pt), -EINVAL);
	assert_int_equal(cdev_attach_pasid(dfd, 5, &pt), 0);
	assert_int_equal(pt, gva_hwpt);
	/* The device's own PASID 5 is the vPASID: it reaches the GVA space;
	 * untagged requests reach GPA; PASID 6 nothing. */
	th_dma_lands(dsa, 5, 0x100000, gva, "gva");
	th_dma_lands(dsa, PCI_NO_PASID, 0x100040, gpa + 0x40, "gpa");
	assert_int_not_equal(memcmp(gpa, gva, 32), 0);
	th_dma_faults(dsa, 6, 0x100000);
	/* Replace, then detach: back to blocked. */
	pt = gpa_hwpt;
	assert_int_equal(cdev_attach_pasid(dfd, 5, &pt), 0);
	th_dma_lands(dsa, 5, 0x100080, gpa + 0x80, "replaced");
	assert_int_equal(cdev_detach_pasid(dfd, 5), 0);
	th_dma_faults(dsa, 5, 0x100000);
	assert_int_equal(cdev_detach_pasid(dfd, 5), 0); /* not attached: fine */
	pt = gva_hwpt;
	assert_int_equal(cdev_attach_pasid(dfd, 7, &pt), 0);
	/* Closing detaches every PASID. */
	assert_int_equal(uiommu_close(dfd), 0);
	assert_null(iommu_get_domain_for_dev_pasid(dsa, 7));
	assert_int_equal(obj_destroy(t.fd, gva_hwpt), 0);
	munmap(gpa, 1 << 16);
	munmap(gva, 1 << 16);
	ifd_close(&t);
}

/* ---- 4.5 on idxd mdevs: vPASID != pPASID (type 6) ---- */

struct tenant {
	struct ifd vm;
	struct device *mdev;
	int dfd;
	uint32_t gpa_ioas, gva_ioas;
	uint8_t *gpa, *gva;       /* 64 KiB each, at IOVA 0x100000 of their IOAS */
};

#define T_IOVA 0x100000ull

static void tenant_open(struct tenant *t, struct uiommu_host *h, const char *type,
			const char *uuid, uint32_t vpasid)
{
	ifd_open_on(&t->vm, h);
	assert_int_equal(uiommu_mdev_create(h, type, uuid, &t->mdev), 0);
	t->dfd = cdev_open_dev(h, t->mdev);
	assert_true(t->dfd >= 0);
	assert_int_equal(cdev_bind(t->dfd, t->vm.fd, NULL), 0);
	t->gpa = buf_alloc(1 << 16);
	t->gva = buf_alloc(1 << 16);
	assert_int_equal(ioas_alloc(t->vm.fd, &t->gpa_ioas), 0);
	assert_int_equal(ioas_alloc(t->vm.fd, &t->gva_ioas), 0);
	assert_int_equal(ioas_map_fixed(t->vm.fd, t->gpa_ioas, t->gpa, 1 << 16, T_IOVA), 0);
	assert_int_equal(ioas_map_fixed(t->vm.fd, t->gva_ioas, t->gva, 1 << 16, T_IOVA), 0);
	uint32_t pt = t->gpa_ioas;
	assert_int_equal(cdev_attach(t->dfd, &pt), 0);
	pt = t->gva_ioas;
	if (vpasid)
		assert_int_equal(cdev_attach_pasid(t->dfd, vpasid, &pt), 0);
	dsa_enable_dev(t->dfd);
}

static void tenant_close(struct tenant *t, const char *uuid)
{
	assert_int_equal(uiommu_close(t->dfd), 0);
	assert_int_equal(uiommu_mdev_remove(t->vm.h, uuid), 0);
	assert_int_equal(uiommu_close(t->vm.fd), 0);
	munmap(t->gpa, 1 << 16);
	munmap(t->gva, 1 << 16);
}

/* The user points its WQ at a vPASID (vWQCFG, with PASID enabled in its
 * config space) or at none (0: the default space), and enables it. */
static unsigned wq_enable_pasid(int dfd, uint32_t vpasid)
{
	uint16_t ctrl = PCI_PASID_CTRL_ENABLE;
	assert_int_equal(uiommu_pwrite(dfd, &ctrl, 2, (int64_t)(CDEV_CFG + 0x100 + PCI_PASID_CTRL)),
			 2);
	uint32_t d2 = (uint32_t)dsa_r(dfd, DSA_WQCFG(0, 2));
	d2 &= ~(DSA_WQCFG_PASID(0xfffff) | DSA_WQCFG_PASID_EN);
	if (vpasid)
		d2 |= DSA_WQCFG_PASID(vpasid) | DSA_WQCFG_PASID_EN;
	dsa_w32(dfd, DSA_WQCFG(0, 2), d2);
	return dsa_cmd(dfd, DSA_CMD_ENABLE_WQ, 0);
}

static void test_flow_4_5_mdev(void **s)
{
	(void)s;
	struct uiommu_host *h = th_host(NULL, true);
	struct tenant a, b;
	tenant_open(&a, h, "dsa-1dwq-pasid-v1", U(01), 5);
	tenant_open(&b, h, "dsa-1dwq-pasid-v1", U(02), 5);
	/* Same vPASID, two pPASIDs of the parent's per-RID space. */
	ioasid_t pa, pb;
	assert_int_equal(vfio_device_pasid_translate(vdev_of_fd(a.dfd), 5, &pa), 0);
	assert_int_equal(vfio_device_pasid_translate(vdev_of_fd(b.dfd), 5, &pb), 0);
	assert_int_not_equal(pa, pb);
	assert_int_not_equal(pa, 5);
	/* The user sees its vPASID in WQCFG, never the pPASID. */
	assert_int_equal(wq_enable_pasid(a.dfd, 5), DSA_CMDSTS_SUCCESS);
	assert_int_equal(DSA_WQCFG_PASID_OF((uint32_t)dsa_r(a.dfd, DSA_WQCFG(0, 2))), 5);
	assert_true(pwq_runs_with(h, "dsa0", pa));
	assert_int_equal(wq_enable_pasid(b.dfd, 5), DSA_CMDSTS_SUCCESS);
	assert_true(pwq_runs_with(h, "dsa0", pb));

	/* Each tenant's work lands in its own GVA space. */
	struct dsa_completion_record *cra = (void *)(a.gva + 0xf000);
	struct dsa_completion_record *crb = (void *)(b.gva + 0xf000);
	memset(a.gva, 0xa1, 4096);
	memset(b.gva, 0xb2, 4096);
	assert_int_equal(dsa_memmove(a.dfd, T_IOVA, T_IOVA + 0x4000, 4096, T_IOVA + 0xf000, cra, 0),
			 DSA_COMP_SUCCESS);
	assert_int_equal(dsa_memmove(b.dfd, T_IOVA, T_IOVA + 0x4000, 4096, T_IOVA + 0xf000, crb, 0),
			 DSA_COMP_SUCCESS);
	assert_int_equal(a.gva[0x4000], 0xa1);
	assert_int_equal(b.gva[0x4fff], 0xb2);
	assert_int_equal(a.gpa[0x4000], 0);
	assert_int_equal(b.gpa[0x4000], 0);
	/* Unmapped in A's GVA space: the access faults, B is not reached. */
	assert_int_equal(ioas_unmap(a.vm.fd, a.gva_ioas, T_IOVA, 1 << 16, NULL), 0);
	assert_int_equal(ioas_map_fixed(a.vm.fd, a.gva_ioas, a.gva + 0xf000, 4096,
					T_IOVA + 0xf000),
			 0);
	memset(b.gva + 0x8000, 0, 4096);
	assert_int_equal(DSA_COMP_STATUS(dsa_memmove(a.dfd, T_IOVA + 0x4000, T_IOVA + 0x8000, 64,
						     T_IOVA + 0xf000, cra, 0)),
			 DSA_COMP_PAGE_FAULT_NOBOF);
	assert_int_equal(b.gva[0x8000], 0);

	/* A goes back to its default space: the WQ without a PASID. */
	assert_int_equal(dsa_cmd(a.dfd, DSA_CMD_DISABLE_WQ, DSA_WQ_OPERAND(0)),
			 DSA_CMDSTS_SUCCESS);
	assert_int_equal(wq_enable_pasid(a.dfd, 0), DSA_CMDSTS_SUCCESS);
	assert_true(pwq_runs_with(h, "dsa0", mdev_get_iommu_pasid(a.mdev)));
	struct dsa_completion_record *crg = (void *)(a.gpa + 0xf000);
	memset(a.gpa, 0x5a, 256);
	assert_int_equal(dsa_memmove(a.dfd, T_IOVA, T_IOVA + 0x100, 256, T_IOVA + 0xf000, crg, 0),
			 DSA_COMP_SUCCESS);
	assert_int_equal(a.gpa[0x1ff], 0x5a);
	/* A vPASID that was never attached cannot be enabled. */
	assert_int_equal(dsa_cmd(a.dfd, DSA_CMD_DISABLE_WQ, DSA_WQ_OPERAND(0)),
			 DSA_CMDSTS_SUCCESS);
	assert_int_equal(wq_enable_pasid(a.dfd, 6), DSA_CMDSTS_ERR_PASID_INVAL);
	/* Detaching B's vPASID stops its WQ before the pPASID goes back. */
	assert_int_equal(cdev_detach_pasid(b.dfd, 5), 0);
	assert_false(pwq_runs_with(h, "dsa0", pb));
	assert_int_equal(DSA_WQCFG_STATE((uint32_t)dsa_r(b.dfd, DSA_WQCFG(0, 6))),
			 DSA_WQ_STATE_DISABLED);
	tenant_close(&b, U(02));
	tenant_close(&a, U(01));
	uiommu_host_free(h);
	assert_int_equal(uiommu_pinned_pages(), 0);
}

/* ---- 1.2: three device types on one IOAS ---- */

static void test_three_types_one_ioas(void **s)
{
	(void)s;
	struct ifd t;
	ifd_open_on(&t, th_host(NULL, true));
	struct device *dsa = uiommu_device_find(t.h, "dsa0");
	struct iommu_domain *dsa_rid = iommu_get_domain_for_dev(dsa);
	struct device *adi, *sw;
	assert_int_equal(uiommu_mdev_create(t.h, "dsa-1dwq-v1", U(11), &adi), 0);
	assert_int_equal(uiommu_mdev_create(t.h, "swcopy-v1", U(12), &sw), 0);
	uint8_t *mem = buf_alloc(1 << 16);
	uint32_t ioas;
	assert_int_equal(ioas_alloc(t.fd, &ioas), 0);
	/* Data, and apart from it the page of completion records. */
	assert_int_equal(ioas_map_fixed(t.fd, ioas, mem, 0xf000, T_IOVA), 0);
	assert_int_equal(ioas_map_fixed(t.fd, ioas, mem + 0xf000, 0x1000, T_IOVA + 0xf000), 0);
	int dp = cdev_open_bound(&t, "dmatest0", ioas, NULL);
	int da = cdev_open_dev(t.h, adi), ds = cdev_open_dev(t.h, sw);
	uint32_t ida, ids, pta = ioas, pts = ioas;
	assert_int_equal(cdev_bind(da, t.fd, &ida), 0);
	assert_int_equal(cdev_bind(ds, t.fd, &ids), 0);
	assert_int_equal(cdev_attach(da, &pta), 0);
	assert_int_equal(cdev_attach(ds, &pts), 0);

	/* pdev: its RID, owned by the context. */
	dt_bus_master(dp);
	dt_copy_lands(dp, mem, T_IOVA, mem + 0x1000, T_IOVA + 0x1000, 1024, 7);
	/* IOMMU-backed mdev: the parent's RID stays the kernel's; the HWPT
	 * is at a default PASID the parent programmed into the ADI. */
	assert_ptr_equal(iommu_get_domain_for_dev(dsa), dsa_rid);
	assert_false(iommu_group_dma_owner_claimed(dsa->group));
	unsigned p = mdev_get_iommu_pasid(adi);
	assert_true(p > 0);
	assert_non_null(iommu_get_domain_for_dev_pasid(dsa, p));
	dsa_enable_dev(da);
	assert_int_equal(dsa_cmd(da, DSA_CMD_ENABLE_WQ, 0), DSA_CMDSTS_SUCCESS);
	assert_true(pwq_runs_with(t.h, "dsa0", p));
	assert_int_equal(DSA_WQCFG_PASID_OF((uint32_t)dsa_r(da, DSA_WQCFG(0, 2))), 0);
	struct dsa_completion_record *cr = (void *)(mem + 0xf000);
	memset(mem + 0x2000, 0x3c, 2048);
	assert_int_equal(dsa_memmove(da, T_IOVA + 0x2000, T_IOVA + 0x3000, 2048, T_IOVA + 0xf000,
				     cr, 0),
			 DSA_COMP_SUCCESS);
	assert_memory_equal(mem + 0x3000, mem + 0x2000, 2048);
	/* Software mdev: nothing in the IOMMU - it is an ACCESS of the
	 * context, and its parent copies through pinned pages. */
	int err;
	struct iommufd_object *o = iommufd_get_object(t.ictx, ids, IOMMUFD_OBJ_ACCESS, &err);
	assert_non_null(o);
	iommufd_put_object(t.ictx, o);
	assert_null(iommufd_get_object(t.ictx, ida, IOMMUFD_OBJ_ACCESS, &err));
	dt_bus_master(ds);
	dt_copy_lands(ds, mem + 0x4000, T_IOVA + 0x4000, mem + 0x5000, T_IOVA + 0x5000, 4096, 8);
	assert_true(uiommu_pinned_pages() > 0);
	/* One unmap for all three: the access is told and lets go. */
	assert_int_equal(ioas_unmap(t.fd, ioas, T_IOVA, 0xf000, NULL), 0);
	assert_int_equal(dt_copy(dp, T_IOVA, T_IOVA + 0x1000, 8), DMATEST_ERR_READ);
	assert_int_equal(dt_copy(ds, T_IOVA, T_IOVA + 0x1000, 8), DMATEST_ERR_READ);
	assert_int_equal(DSA_COMP_STATUS(dsa_memmove(da, T_IOVA, T_IOVA + 0x1000, 8,
						     T_IOVA + 0xf000, cr, 0)),
			 DSA_COMP_PAGE_FAULT_NOBOF);
	assert_int_equal(uiommu_close(ds), 0);
	assert_int_equal(uiommu_close(da), 0);
	assert_int_equal(uiommu_close(dp), 0);
	/* The default PASID went back with the unbind. */
	assert_null(iommu_get_domain_for_dev_pasid(dsa, p));
	assert_int_equal(mdev_get_iommu_pasid(adi), 0);
	assert_int_equal(uiommu_mdev_remove(t.h, U(11)), 0);
	assert_int_equal(uiommu_mdev_remove(t.h, U(12)), 0);
	munmap(mem, 1 << 16);
	ifd_close(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_flow_4_1),
		cmocka_unit_test(test_flow_4_2),
		cmocka_unit_test(test_flow_4_5_pdev),
		cmocka_unit_test(test_flow_4_5_mdev),
		cmocka_unit_test(test_three_types_one_ioas),
	};
	(void)two_dsa_topo;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
