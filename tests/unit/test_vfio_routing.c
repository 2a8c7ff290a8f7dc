/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Routing rules of VFIO devices bound to an iommufd (SPEC U-6 .. U-8; the
 * /dev/iommu proposal's sections 1.2 and 1.4):
 *   - one device per routing slot, at the iommufd level;
 *   - the PASID policy each device type reports in GET_INFO, and the vPASID
 *     width GET_HW_INFO shows for an mdev;
 *   - per-RID and global PASID spaces never overlap;
 *   - shared-WQ mdevs (type 8): one pPASID per vPASID per VM across
 *     devices and parents, another VM another, the portal refused until
 *     the iommufd turns CPU PASID translation on; UIOMMU_PASID_TRANSLATION;
 *   - a software mdev attaches to an IOAS only.
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

#define U(n) "2c4e6a8b-1d3f-4a5b-9c7d-e0f1a2b3c4" #n
#define T_IOVA 0x100000ull

static const char *const two_dsa_topo =
	"{\"devices\":["
	"{\"bdf\":\"00:01.0\",\"type\":\"rc_endpoint\",\"name\":\"dsa0\",\"model\":\"dsa\","
	"\"pasid_bits\":20,\"siov\":true},"
	"{\"bdf\":\"00:02.0\",\"type\":\"rc_endpoint\",\"name\":\"dsa1\",\"model\":\"dsa\","
	"\"pasid_bits\":20,\"siov\":true}]}";

static struct vfio_device *vdev_of_fd(int dfd)
{
	struct file *f = fget(dfd);
	struct vfio_device_file *df = vfio_device_file_from_file(f);
	fput(f);
	assert_non_null(df);
	return df->device;
}

/* GET_INFO's PASID capability: its flags, or -1 without one. */
static int pasid_cap_flags(int dfd, unsigned *log2)
{
	struct {
		struct vfio_device_info info;
		struct vfio_device_info_cap_uiommu_pasid cap;
	} gi = { .info = { .argsz = sizeof(gi.info) } };
	assert_int_equal(ioc(dfd, VFIO_DEVICE_GET_INFO, &gi), 0);
	if (!(gi.info.flags & VFIO_DEVICE_FLAGS_CAPS))
		return -1;
	/* Too small for the chain: argsz says what is needed. */
	assert_int_equal(gi.info.argsz, sizeof(gi));
	assert_int_equal(gi.info.cap_offset, 0);
	assert_int_equal(ioc(dfd, VFIO_DEVICE_GET_INFO, &gi), 0);
	assert_int_equal(gi.info.cap_offset, sizeof(gi.info));
	assert_int_equal(gi.cap.header.id, VFIO_DEVICE_INFO_CAP_UIOMMU_PASID);
	assert_int_equal(gi.cap.header.version, 1);
	assert_int_equal(gi.cap.header.next, 0);
	*log2 = gi.cap.max_pasid_log2;
	return (int)gi.cap.flags;
}

static int hw_info_pasid(int fd, uint32_t dev_id, uint8_t *log2)
{
	struct iommu_hw_info c = { .size = sizeof(c), .dev_id = dev_id };
	int rc = ioc(fd, IOMMU_GET_HW_INFO, &c);
	*log2 = c.out_max_pasid_log2;
	return rc;
}

/* ---- policies ---- */

static void test_pasid_policies(void **s)
{
	(void)s;
	struct ifd t;
	ifd_open_on(&t, th_host(NULL, true));
	struct device *m3, *m6, *m8, *sw;
	assert_int_equal(uiommu_mdev_create(t.h, "dsa-1dwq-v1", U(01), &m3), 0);
	assert_int_equal(uiommu_mdev_create(t.h, "dsa-1dwq-pasid-v1", U(02), &m6), 0);
	assert_int_equal(uiommu_mdev_create(t.h, "dsa-1swq-v1", U(03), &m8), 0);
	assert_int_equal(uiommu_mdev_create(t.h, "swcopy-v1", U(04), &sw), 0);
	int fds[5] = { cdev_open(t.h, "dmatest0"), cdev_open_dev(t.h, m3), cdev_open_dev(t.h, m6),
		       cdev_open_dev(t.h, m8), cdev_open_dev(t.h, sw) };
	uint32_t id[5];
	for (int i = 0; i < 5; i++)
		assert_int_equal(cdev_bind(fds[i], t.fd, &id[i]), 0);
	unsigned log2;
	uint8_t hw;
	/* dmatest, type 3, a software mdev: the default space only. */
	assert_int_equal(pasid_cap_flags(fds[0], &log2), -1);
	assert_int_equal(pasid_cap_flags(fds[1], &log2), -1);
	assert_int_equal(pasid_cap_flags(fds[4], &log2), -1);
	assert_int_equal(hw_info_pasid(t.fd, id[1], &hw), 0);
	assert_int_equal(hw, 0); /* the parent's PASIDs are the kernel's */
	/* type 6: not delegated, not from the CPU. */
	assert_int_equal(pasid_cap_flags(fds[2], &log2), 0);
	assert_int_equal(log2, 20);
	assert_int_equal(hw_info_pasid(t.fd, id[2], &hw), 0);
	assert_int_equal(hw, 20);
	/* type 8: from the CPU, translated there. */
	assert_int_equal(pasid_cap_flags(fds[3], &log2),
			 VFIO_DEVICE_PASID_CPU | VFIO_DEVICE_PASID_CPU_VIRT);
	/* A software mdev is an ACCESS: not a device of GET_HW_INFO. */
	assert_int_equal(hw_info_pasid(t.fd, id[4], &hw), -ENOENT);
	/* No vPASIDs, no PASID attach. */
	uint32_t ioas, pt;
	assert_int_equal(ioas_alloc(t.fd, &ioas), 0);
	pt = ioas;
	assert_int_equal(cdev_attach_pasid(fds[1], 5, &pt), -EOPNOTSUPP);
	assert_int_equal(cdev_attach_pasid(fds[4], 5, &pt), -EOPNOTSUPP);
	for (int i = 0; i < 5; i++)
		assert_int_equal(uiommu_close(fds[i]), 0);
	assert_int_equal(uiommu_mdev_remove(t.h, U(01)), 0);
	assert_int_equal(uiommu_mdev_remove(t.h, U(02)), 0);
	assert_int_equal(uiommu_mdev_remove(t.h, U(03)), 0);
	assert_int_equal(uiommu_mdev_remove(t.h, U(04)), 0);
	ifd_close(&t);
}

/* ---- one device per slot (U-7) ---- */

static void test_one_device_per_slot(void **s)
{
	(void)s;
	struct ifd t;
	ifd_open_on(&t, th_host(NULL, true));
	struct device *dsa = uiommu_device_find(t.h, "dsa0");
	uint32_t id1, id2, ioas, pt;
	int err;
	struct iommufd_device *a = iommufd_device_bind_subdev(t.ictx, dsa, 0, &id1, &err);
	struct iommufd_device *b = iommufd_device_bind_subdev(t.ictx, dsa, 0, &id2, &err);
	assert_non_null(a);
	assert_non_null(b);
	/* The parent's group stays its driver's. */
	assert_false(iommu_group_dma_owner_claimed(dsa->group));
	assert_int_equal(ioas_alloc(t.fd, &ioas), 0);
	ioasid_t p = iommu_alloc_dev_pasid(dsa);
	pt = ioas;
	assert_int_equal(iommufd_device_attach(a, p, &pt), 0);
	/* The same slot for another device: refused, whatever the HWPT. */
	uint32_t pt2 = pt;
	assert_int_equal(iommufd_device_attach(b, p, &pt2), -EBUSY);
	pt2 = ioas;
	assert_int_equal(iommufd_device_attach(b, p, &pt2), -EBUSY);
	/* A subdevice has no RID of its own. */
	pt2 = ioas;
	assert_int_equal(iommufd_device_attach(b, IOMMU_NO_PASID, &pt2), -EINVAL);
	ioasid_t q = iommu_alloc_dev_pasid(dsa);
	assert_int_not_equal(q, p);
	pt2 = pt;
	assert_int_equal(iommufd_device_attach(b, q, &pt2), 0);
	assert_int_equal(pt2, pt); /* two slots share the HWPT */
	iommufd_device_detach(a, p);
	iommufd_device_detach(b, q);
	iommufd_device_unbind(a);
	iommufd_device_unbind(b);
	iommu_free_dev_pasid(dsa, p);
	iommu_free_dev_pasid(dsa, q);
	ifd_close(&t);
}

/* Per-RID spaces repeat numbers across devices, never a global one. */
static void test_pasid_spaces(void **s)
{
	(void)s;
	struct uiommu_host *h = th_host(two_dsa_topo, false);
	struct device *d0 = uiommu_device_find(h, "dsa0"), *d1 = uiommu_device_find(h, "dsa1");
	ioasid_t g1 = iommu_alloc_global_pasid(d0);
	ioasid_t a = iommu_alloc_dev_pasid(d0), b = iommu_alloc_dev_pasid(d1);
	assert_int_equal(g1, 1);
	assert_int_equal(a, 2);
	assert_int_equal(b, 2); /* another RID: the same number is fine */
	assert_int_equal(iommu_alloc_dev_pasid(d0), 3);
	/* Global PASIDs skip every per-RID one in use. */
	assert_int_equal(iommu_alloc_global_pasid(d1), 4);
	iommu_free_dev_pasid(d0, 2);
	assert_int_equal(iommu_alloc_global_pasid(d0), 5); /* dsa1 still holds 2 */
	iommu_free_dev_pasid(d1, 2);
	assert_int_equal(iommu_alloc_global_pasid(d0), 2);
	/* ... and per-RID ones skip the global ones. */
	iommu_free_global_pasid(d0, 1);
	assert_int_equal(iommu_alloc_dev_pasid(d1), 1);
	assert_int_equal(iommu_alloc_dev_pasid(d1), 3);
	assert_int_equal(iommu_alloc_dev_pasid(d1), 6);
	uiommu_host_free(h);
}

/* ---- type 8: the VM's PASIDs ---- */

struct vm {
	struct ifd ifd;
	uint32_t gva_ioas;
	uint8_t *gva;
};

static int translation(int fd, uint32_t flags, uint32_t *enabled, uint32_t *nr)
{
	struct uiommu_pasid_translation c = { .size = sizeof(c), .flags = flags };
	int rc = ioc(fd, UIOMMU_PASID_TRANSLATION, &c);
	if (enabled)
		*enabled = c.out_enabled;
	if (nr)
		*nr = c.out_nr_pasids;
	return rc;
}

static int swq_open(struct vm *vm, const char *parent, const char *uuid, uint32_t vpasid)
{
	char type[64];
	snprintf(type, sizeof(type), "%s:dsa-1swq-v1", parent);
	struct device *m;
	assert_int_equal(uiommu_mdev_create(vm->ifd.h, type, uuid, &m), 0);
	int dfd = cdev_open_dev(vm->ifd.h, m);
	assert_int_equal(cdev_bind(dfd, vm->ifd.fd, NULL), 0);
	uint32_t pt = vm->gva_ioas;
	assert_int_equal(cdev_attach_pasid(dfd, vpasid, &pt), 0);
	dsa_enable_dev(dfd);
	assert_int_equal(dsa_cmd(dfd, DSA_CMD_ENABLE_WQ, 0), DSA_CMDSTS_SUCCESS);
	return dfd;
}

static void vm_open(struct vm *vm, struct uiommu_host *h)
{
	ifd_open_on(&vm->ifd, h);
	vm->gva = buf_alloc(1 << 16);
	assert_int_equal(ioas_alloc(vm->ifd.fd, &vm->gva_ioas), 0);
	assert_int_equal(ioas_map_fixed(vm->ifd.fd, vm->gva_ioas, vm->gva, 1 << 16, T_IOVA), 0);
}

static void test_shared_wq_vm_pasids(void **s)
{
	(void)s;
	struct uiommu_host *h = th_host(two_dsa_topo, true);
	struct vm vm1, vm2;
	vm_open(&vm1, h);
	vm_open(&vm2, h);
	/* VM1 has a shared-WQ mdev on each DSA, both given vPASID 9. */
	int a = swq_open(&vm1, "dsa0", U(11), 9), b = swq_open(&vm1, "dsa1", U(12), 9);
	int c = swq_open(&vm2, "dsa0", U(13), 9);
	ioasid_t pa, pb, pc;
	assert_int_equal(vfio_device_pasid_translate(vdev_of_fd(a), 9, &pa), 0);
	assert_int_equal(vfio_device_pasid_translate(vdev_of_fd(b), 9, &pb), 0);
	assert_int_equal(vfio_device_pasid_translate(vdev_of_fd(c), 9, &pc), 0);
	assert_int_equal(pa, pb);        /* one VM, one pPASID for the vPASID */
	assert_int_not_equal(pa, pc);    /* another VM, another pPASID */
	assert_non_null(iommu_get_domain_for_dev_pasid(uiommu_device_find(h, "dsa1"), pa));

	/* The portal is refused until VM1 turns CPU translation on. */
	struct dsa_completion_record *cr1 = (void *)(vm1.gva + 0xf000);
	struct dsa_hw_desc d = dsa_memmove_desc(T_IOVA, T_IOVA + 0x1000, 512, T_IOVA + 0xf000);
	d.pasid_priv = 9;
	assert_int_equal(uiommu_pwrite(a, &d, sizeof(d), (int64_t)CDEV_BAR2), -EPERM);
	uint32_t on, nr;
	assert_int_equal(translation(vm1.ifd.fd, 0, &on, &nr), 0);
	assert_int_equal(on, 0);
	assert_int_equal(nr, 1);
	assert_int_equal(translation(vm1.ifd.fd,
				     UIOMMU_PASID_TRANSLATION_SET | UIOMMU_PASID_TRANSLATION_ENABLE,
				     &on, NULL),
			 0);
	assert_int_equal(on, 1);
	/* ENQCMD with vPASID 9 reaches VM1's GVA space, on either device. */
	memset(vm1.gva, 0x91, 512);
	assert_int_equal(dsa_memmove(a, T_IOVA, T_IOVA + 0x1000, 512, T_IOVA + 0xf000, cr1, 9),
			 DSA_COMP_SUCCESS);
	assert_int_equal(vm1.gva[0x11ff], 0x91);
	memset(vm1.gva + 0x2000, 0x92, 512);
	assert_int_equal(dsa_memmove(b, T_IOVA + 0x2000, T_IOVA + 0x3000, 512, T_IOVA + 0xf000,
				     cr1, 9),
			 DSA_COMP_SUCCESS);
	assert_int_equal(vm1.gva[0x3000], 0x92);
	/* A vPASID the VM has no translation for: the CPU refuses it. */
	d.pasid_priv = 10;
	assert_int_equal(uiommu_pwrite(a, &d, sizeof(d), (int64_t)CDEV_BAR2), -EINVAL);
	/* VM2's vPASID 9 is VM2's own: refused until its own switch, then
	 * its own space, not VM1's. */
	struct dsa_completion_record *cr2 = (void *)(vm2.gva + 0xf000);
	d.pasid_priv = 9;
	assert_int_equal(uiommu_pwrite(c, &d, sizeof(d), (int64_t)CDEV_BAR2), -EPERM);
	assert_int_equal(translation(vm2.ifd.fd,
				     UIOMMU_PASID_TRANSLATION_SET | UIOMMU_PASID_TRANSLATION_ENABLE,
				     NULL, NULL),
			 0);
	memset(vm1.gva + 0x4000, 0, 512);
	memset(vm2.gva, 0xc3, 512);
	assert_int_equal(dsa_memmove(c, T_IOVA, T_IOVA + 0x4000, 512, T_IOVA + 0xf000, cr2, 9),
			 DSA_COMP_SUCCESS);
	assert_int_equal(vm2.gva[0x4000], 0xc3);
	assert_int_equal(vm1.gva[0x4000], 0);
	/* Turned off again: refused again. */
	assert_int_equal(translation(vm1.ifd.fd, UIOMMU_PASID_TRANSLATION_SET, &on, NULL), 0);
	assert_int_equal(on, 0);
	d.pasid_priv = 9;
	assert_int_equal(uiommu_pwrite(b, &d, sizeof(d), (int64_t)CDEV_BAR2), -EPERM);
	/* The pPASID stays the VM's while one device has the vPASID. */
	assert_int_equal(cdev_detach_pasid(a, 9), 0);
	assert_int_equal(vfio_device_pasid_translate(vdev_of_fd(b), 9, &pb), 0);
	assert_int_equal(pb, pa);
	assert_int_equal(translation(vm1.ifd.fd, 0, NULL, &nr), 0);
	assert_int_equal(nr, 1);
	assert_int_equal(cdev_detach_pasid(b, 9), 0);
	assert_int_equal(translation(vm1.ifd.fd, 0, NULL, &nr), 0);
	assert_int_equal(nr, 0);
	assert_int_equal(uiommu_close(a), 0);
	assert_int_equal(uiommu_close(b), 0);
	assert_int_equal(uiommu_close(c), 0);
	assert_int_equal(uiommu_mdev_remove(h, U(11)), 0);
	assert_int_equal(uiommu_mdev_remove(h, U(12)), 0);
	assert_int_equal(uiommu_mdev_remove(h, U(13)), 0);
	assert_int_equal(uiommu_close(vm1.ifd.fd), 0);
	assert_int_equal(uiommu_close(vm2.ifd.fd), 0);
	munmap(vm1.gva, 1 << 16);
	munmap(vm2.gva, 1 << 16);
	uiommu_host_free(h);
	assert_int_equal(uiommu_pinned_pages(), 0);
}

/* Two shared-WQ mdevs of one parent in one VM: one vPASID would put two
 * devices in one slot - the second is refused (U-7). */
static void test_shared_wq_same_parent(void **s)
{
	(void)s;
	struct uiommu_host *h = th_host(two_dsa_topo, true);
	struct vm vm;
	vm_open(&vm, h);
	int a = swq_open(&vm, "dsa0", U(21), 9);
	struct device *m;
	assert_int_equal(uiommu_mdev_create(h, "dsa0:dsa-1swq-v1", U(22), &m), 0);
	int b = cdev_open_dev(h, m);
	assert_int_equal(cdev_bind(b, vm.ifd.fd, NULL), 0);
	uint32_t pt = vm.gva_ioas;
	assert_int_equal(cdev_attach_pasid(b, 9, &pt), -EBUSY);
	assert_int_equal(cdev_attach_pasid(b, 8, &pt), 0);
	uint32_t nr;
	assert_int_equal(translation(vm.ifd.fd, 0, NULL, &nr), 0);
	assert_int_equal(nr, 2); /* the failed attach put its get back */
	assert_int_equal(uiommu_close(b), 0);
	assert_int_equal(uiommu_close(a), 0);
	assert_int_equal(uiommu_mdev_remove(h, U(21)), 0);
	assert_int_equal(uiommu_mdev_remove(h, U(22)), 0);
	assert_int_equal(uiommu_close(vm.ifd.fd), 0);
	munmap(vm.gva, 1 << 16);
	uiommu_host_free(h);
}

/* UIOMMU_PASID_TRANSLATION's framing and arguments (U-2). */
static void test_pasid_translation_args(void **s)
{
	(void)s;
	struct ifd t;
	ifd_open(&t);
	struct {
		struct uiommu_pasid_translation c;
		uint32_t tail;
	} x = { .c = { .size = sizeof(x.c) } };
	x.c.flags = 1u << 2;
	assert_int_equal(ioc(t.fd, UIOMMU_PASID_TRANSLATION, &x), -EOPNOTSUPP);
	x.c.flags = 0;
	x.c.__reserved = 1;
	assert_int_equal(ioc(t.fd, UIOMMU_PASID_TRANSLATION, &x), -EOPNOTSUPP);
	x.c.__reserved = 0;
	x.c.flags = UIOMMU_PASID_TRANSLATION_ENABLE; /* without SET */
	assert_int_equal(ioc(t.fd, UIOMMU_PASID_TRANSLATION, &x), -EINVAL);
	x.c.flags = 0;
	x.c.size = offsetof(struct uiommu_pasid_translation, __reserved);
	assert_int_equal(ioc(t.fd, UIOMMU_PASID_TRANSLATION, &x), -EINVAL);
	x.c.size = sizeof(x);
	x.tail = 1;
	assert_int_equal(ioc(t.fd, UIOMMU_PASID_TRANSLATION, &x), -E2BIG);
	x.tail = 0;
	assert_int_equal(ioc(t.fd, UIOMMU_PASID_TRANSLATION, &x), 0);
	/* The answer cannot be written: nothing changes. */
	struct uiommu_pasid_translation *ro =
		mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	*ro = (struct uiommu_pasid_translation){
		.size = sizeof(*ro),
		.flags = UIOMMU_PASID_TRANSLATION_SET | UIOMMU_PASID_TRANSLATION_ENABLE
	};
	mprotect(ro, 4096, PROT_READ);
	assert_int_equal(ioc(t.fd, UIOMMU_PASID_TRANSLATION, ro), -EFAULT);
	munmap(ro, 4096);
	uint32_t on;
	assert_int_equal(translation(t.fd, 0, &on, NULL), 0);
	assert_int_equal(on, 0);
	/* The number after the last extension is no command. */
	assert_int_equal(ioc(t.fd, _IO(IOMMUFD_TYPE, UIOMMUFD_CMD_PASID_TRANSLATION + 1), &x),
			 -ENOTTY);
	ifd_close(&t);
}

/* ---- a software mdev: an ACCESS on an IOAS ---- */

static void test_software_mdev(void **s)
{
	(void)s;
	struct ifd t;
	ifd_open_on(&t, th_host(NULL, true));
	struct device *m;
	assert_int_equal(uiommu_mdev_create(t.h, "swcopy-v1", U(31), &m), 0);
	int dfd = cdev_open_dev(t.h, m);
	uint32_t devid, ioas, ioas2, hwpt, pt;
	assert_int_equal(cdev_bind(dfd, t.fd, &devid), 0);
	assert_int_equal(ioas_alloc(t.fd, &ioas), 0);
	assert_int_equal(ioas_alloc(t.fd, &ioas2), 0);
	/* A HWPT needs a device with an IOMMU: the access has none. */
	assert_int_equal(hwpt_alloc(t.fd, devid, ioas, 0, &hwpt), -ENOENT);
	uint8_t *mem = buf_alloc(1 << 16);
	assert_int_equal(ioas_map_fixed(t.fd, ioas, mem, 1 << 16, T_IOVA), 0);
	assert_int_equal(ioas_map_fixed(t.fd, ioas2, mem + 0x8000, 0x8000, T_IOVA), 0);
	/* Mapped, but no domain and no access yet: nothing is pinned. */
	assert_int_equal(uiommu_pinned_pages(), 0);
	pt = ioas;
	assert_int_equal(cdev_attach(dfd, &pt), 0);
	assert_int_equal(pt, ioas); /* an access follows the IOAS itself */
	dt_bus_master(dfd);
	dt_copy_lands(dfd, mem, T_IOVA, mem + 0x1000, T_IOVA + 0x1000, 4096, 9);
	/* Pinned by the parent, page by page; replaced: told to drop them. */
	assert_true(uiommu_pinned_pages() > 0);
	pt = ioas2;
	assert_int_equal(cdev_attach(dfd, &pt), 0);
	dt_copy_lands(dfd, mem + 0x8000, T_IOVA, mem + 0x9000, T_IOVA + 0x1000, 64, 10);
	/* The old IOAS can go now: nothing holds it. */
	assert_int_equal(ioas_unmap(t.fd, ioas, 0, UINT64_MAX, NULL), 0);
	assert_int_equal(obj_destroy(t.fd, ioas), 0);
	/* Unmapped under the parent's pins: it lets go, the copy fails. */
	assert_int_equal(ioas_unmap(t.fd, ioas2, 0, UINT64_MAX, NULL), 0);
	assert_int_equal(uiommu_pinned_pages(), 0);
	assert_int_equal(dt_copy(dfd, T_IOVA, T_IOVA + 0x1000, 64), DMATEST_ERR_READ);
	assert_int_equal(cdev_detach(dfd), 0);
	assert_int_equal(obj_destroy(t.fd, ioas2), 0);
	assert_int_equal(uiommu_close(dfd), 0);
	assert_int_equal(uiommu_mdev_remove(t.h, U(31)), 0);
	munmap(mem, 1 << 16);
	ifd_close(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pasid_policies),
		cmocka_unit_test(test_one_device_per_slot),
		cmocka_unit_test(test_pasid_spaces),
		cmocka_unit_test(test_shared_wq_vm_pasids),
		cmocka_unit_test(test_shared_wq_same_parent),
		cmocka_unit_test(test_pasid_translation_args),
		cmocka_unit_test(test_software_mdev),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
