/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The VFIO device cdev (SPEC U-4, U-5, U-7): /dev/vfio/devices/vfio<N>
 * nodes, no access before bind, bind as the security context of the whole
 * group (the /dev/iommu proposal's section 1.3), attach/replace/detach on
 * the RID, the legacy group path beside it, and every bad argument of the
 * three cdev ioctls. Device behaviour is checked by DMA through the VT-d
 * model and by memory contents.
 */
#include <errno.h>
#include <pthread.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <linux/vfio.h>

#include "cdev_utils.h"
#include "iommu/group.h"
#include "iommu/iommu.h"
#include <uiommu/mdev.h>

#define UUID1 "6d1c0d3e-5b7a-4c61-9e2f-0a1b2c3d4e51"

struct node_scan {
	char names[32][32];
	int n;
};

static int scan_node(const char *path, void *arg)
{
	struct node_scan *s = arg;
	const char *dir = "/dev/vfio/devices/";
	if (!strncmp(path, dir, strlen(dir)) && s->n < 32)
		snprintf(s->names[s->n++], sizeof(s->names[0]), "%s", path + strlen(dir));
	return 0;
}

static bool listed(struct uiommu_host *h, const char *name)
{
	struct node_scan s = { .n = 0 };
	uiommu_for_each_node(h, scan_node, &s);
	for (int i = 0; i < s.n; i++)
		if (!strcmp(s.names[i], name))
			return true;
	return false;
}

static struct iommu_domain *rid_domain(struct uiommu_host *h, const char *name)
{
	return iommu_get_domain_for_dev(uiommu_device_find(h, name));
}

static struct iommu_group *grp(struct uiommu_host *h, const char *name)
{
	return uiommu_device_find(h, name)->group;
}

/* ---- nodes ---- */

static void test_nodes(void **s)
{
	(void)s;
	struct uiommu_host *h = th_host(NULL, true);
	char name[16];
	/* A free function has one; the DSA is idxd's; a bridge is not VFIO's. */
	assert_int_equal(vfio_device_cdev_name(h, uiommu_device_find(h, "dmatest0"), name,
					       sizeof(name)),
			 0);
	assert_true(listed(h, name));
	assert_true(uiommu_node_exists(h, "/dev/vfio/devices/vfio0") ||
		    strcmp(name, "vfio0"));
	assert_int_equal(vfio_device_cdev_name(h, uiommu_device_find(h, "dsa0"), name,
					       sizeof(name)),
			 -ENODEV);
	assert_int_equal(vfio_device_cdev_name(h, uiommu_device_find(h, "rp1"), name,
					       sizeof(name)),
			 -ENODEV);
	assert_int_equal(uiommu_open(h, "/dev/vfio/devices/vfio999", O_RDWR), -ENOENT);
	assert_int_equal(uiommu_open(h, "/dev/vfio/devices/vfio01", O_RDWR), -ENOENT);
	assert_int_equal(uiommu_open(h, "/dev/vfio/devices/vfiox", O_RDWR), -ENOENT);

	/* An mdev gets one with its creation and loses it with its removal. */
	struct device *m;
	assert_int_equal(uiommu_mdev_create(h, "swcopy-v1", UUID1, &m), 0);
	assert_int_equal(vfio_device_cdev_name(h, m, name, sizeof(name)), 0);
	assert_true(listed(h, name));
	char path[64];
	snprintf(path, sizeof(path), "/dev/vfio/devices/%s", name);
	int fd = uiommu_open(h, path, O_RDWR);
	assert_true(fd >= 0);
	/* Open, even unbound, it is in use. */
	assert_int_equal(uiommu_mdev_remove(h, UUID1), -EBUSY);
	assert_int_equal(uiommu_close(fd), 0);
	assert_int_equal(uiommu_mdev_remove(h, UUID1), 0);
	assert_false(listed(h, name));
	assert_int_equal(uiommu_open(h, path, O_RDWR), -ENOENT);
	uiommu_host_free(h);
}

/* ---- no access before bind ---- */

static void test_no_access_before_bind(void **s)
{
	(void)s;
	struct ifd t;
	ifd_open(&t);
	int dfd = cdev_open(t.h, "dmatest0");
	struct vfio_device_info info = { .argsz = sizeof(info) };
	struct vfio_region_info ri = { .argsz = sizeof(ri), .index = 0 };
	uint64_t v;
	uint32_t pt = 1;
	assert_int_equal(ioc(dfd, VFIO_DEVICE_GET_INFO, &info), -EINVAL);
	assert_int_equal(ioc(dfd, VFIO_DEVICE_GET_REGION_INFO, &ri), -EINVAL);
	assert_int_equal(ioc(dfd, VFIO_DEVICE_RESET, NULL), -EINVAL);
	assert_int_equal(cdev_attach(dfd, &pt), -EINVAL);
	assert_int_equal(cdev_detach(dfd), -EINVAL);
	assert_int_equal(uiommu_pread(dfd, &v, 8, (int64_t)CDEV_BAR0), -EINVAL);
	assert_int_equal(uiommu_pwrite(dfd, &v, 8, (int64_t)CDEV_BAR0), -EINVAL);
	void *map;
	assert_int_equal(uiommu_mmap(dfd, NULL, 4096, PROT_READ, MAP_SHARED, (int64_t)CDEV_BAR0,
				     &map),
			 -EINVAL);
	/* Nothing changed: the group is still the kernel's. */
	assert_false(iommu_group_dma_owner_claimed(grp(t.h, "dmatest0")));

	uint32_t devid;
	assert_int_equal(cdev_bind(dfd, t.fd, &devid), 0);
	assert_true(devid > 0);
	assert_int_equal(ioc(dfd, VFIO_DEVICE_GET_INFO, &info), 0);
	assert_true(info.flags & VFIO_DEVICE_FLAGS_PCI);
	assert_int_equal(ioc(dfd, VFIO_DEVICE_GET_REGION_INFO, &ri), 0);
	assert_int_equal(uiommu_pread(dfd, &v, 8, (int64_t)CDEV_BAR0), 8);
	assert_int_equal((uint32_t)v, DMATEST_ID_VALUE);
	assert_int_equal(uiommu_close(dfd), 0);
	ifd_close(&t);
}

/* ---- bind ---- */

static void test_bind_args(void **s)
{
	(void)s;
	struct ifd t;
	ifd_open(&t);
	int dfd = cdev_open(t.h, "dmatest0");
	struct iommu_group *g = grp(t.h, "dmatest0");
	struct iommu_domain *def = rid_domain(t.h, "dmatest0");
	struct {
		struct vfio_device_bind_iommufd b;
		uint64_t tail;
	} x = { .b = { .argsz = sizeof(x.b), .iommufd = t.fd } };

	x.b.iommufd = -2;
	assert_int_equal(ioc(dfd, VFIO_DEVICE_BIND_IOMMUFD, &x), -EINVAL);
	x.b.iommufd = t.fd;
	x.b.flags = 1u << 1;
	assert_int_equal(ioc(dfd, VFIO_DEVICE_BIND_IOMMUFD, &x), -EINVAL);
	/* No device here asks for a token: the flag is refused. */
	uint8_t uuid[16] = { 1 };
	x.b.flags = VFIO_DEVICE_BIND_FLAG_TOKEN;
	x.b.token_uuid_ptr = (uintptr_t)uuid;
	assert_int_equal(ioc(dfd, VFIO_DEVICE_BIND_IOMMUFD, &x), -EINVAL);
	x.b.flags = 0;
	x.b.argsz = offsetof(struct vfio_device_bind_iommufd, out_devid) + 3;
	assert_int_equal(ioc(dfd, VFIO_DEVICE_BIND_IOMMUFD, &x), -EINVAL);
	x.b.argsz = sizeof(x);
	x.tail = 1;
	assert_int_equal(ioc(dfd, VFIO_DEVICE_BIND_IOMMUFD, &x), -E2BIG);
	x.tail = 0;
	/* Not /dev/iommu: a VFIO container; no descriptor at all. */
	int cfd = vfio_open_container(t.h);
	x.b.iommufd = cfd;
	assert_int_equal(ioc(dfd, VFIO_DEVICE_BIND_IOMMUFD, &x), -EBADFD);
	x.b.iommufd = 1000;
	assert_int_equal(ioc(dfd, VFIO_DEVICE_BIND_IOMMUFD, &x), -EBADF);
	assert_int_equal(ioc(dfd, VFIO_DEVICE_BIND_IOMMUFD, (void *)8), -EFAULT);
	/* None of it changed anything. */
	assert_false(iommu_group_dma_owner_claimed(g));
	assert_ptr_equal(rid_domain(t.h, "dmatest0"), def);
	assert_int_equal(ictx_objects(&t), 0);

	/* A longer struct with a zero tail is the struct. */
	x.b.iommufd = t.fd;
	assert_int_equal(ioc(dfd, VFIO_DEVICE_BIND_IOMMUFD, &x), 0);
	assert_int_equal(ictx_objects(&t), 1);
	/* Bound already: this file, or another file of the same device. */
	assert_int_equal(cdev_bind(dfd, t.fd, NULL), -EINVAL);
	int dfd2 = cdev_open(t.h, "dmatest0");
	assert_int_equal(cdev_bind(dfd2, t.fd, NULL), -EINVAL);
	assert_int_equal(uiommu_close(dfd2), 0);
	assert_int_equal(uiommu_close(dfd), 0);
	assert_int_equal(uiommu_close(cfd), 0);
	ifd_close(&t);
}

/* Bind claims the group: DMA blocked until attach; close restores the
 * kernel's default domain (U-4). */
static void test_bind_is_security_context(void **s)
{
	(void)s;
	struct ifd t;
	ifd_open(&t);
	struct device *d = th_device(t.h, "dmatest0");
	struct iommu_group *g = d->group;
	struct iommu_domain *def = iommu_get_domain_for_dev(d);
	assert_ptr_equal(def, g->default_domain);
	int dfd = cdev_open(t.h, "dmatest0");
	assert_int_equal(cdev_bind(dfd, t.fd, NULL), 0);
	assert_true(iommu_group_dma_owner_claimed(g));
	assert_ptr_equal(iommu_get_domain_for_dev(d), g->blocking_domain);

	uint8_t *buf = buf_alloc(4096);
	uint32_t ioas, pt;
	assert_int_equal(ioas_alloc(t.fd, &ioas), 0);
	assert_int_equal(ioas_map_fixed(t.fd, ioas, buf, 4096, 0x100000), 0);
	/* Mapped but not attached: still blocked. */
	th_dma_faults(d, PCI_NO_PASID, 0x100000);
	pt = ioas;
	assert_int_equal(cdev_attach(dfd, &pt), 0);
	assert_int_not_equal(pt, ioas); /* the automatic HWPT */
	th_dma_lands(d, PCI_NO_PASID, 0x100000, buf, "attached");
	/* Detach: back to blocked, not to the kernel's domain. */
	assert_int_equal(cdev_detach(dfd), 0);
	assert_ptr_equal(iommu_get_domain_for_dev(d), g->blocking_domain);
	th_dma_faults(d, PCI_NO_PASID, 0x100000);
	/* Detaching again is fine, as in Linux; the automatic HWPT went
	 * with its last attachment. */
	assert_int_equal(cdev_detach(dfd), 0);
	assert_int_equal(cdev_attach(dfd, &pt), -ENOENT);
	pt = ioas;
	assert_int_equal(cdev_attach(dfd, &pt), 0);
	/* Close: detached, unbound, the kernel's domain back. */
	assert_int_equal(uiommu_close(dfd), 0);
	assert_false(iommu_group_dma_owner_claimed(g));
	assert_ptr_equal(iommu_get_domain_for_dev(d), def);
	assert_int_equal(ioas_unmap(t.fd, ioas, 0, UINT64_MAX, NULL), 0);
	munmap(buf, 4096);
	ifd_close(&t);
}

/* ---- groups: the security context is the whole group (U-4) ---- */

static void test_group_context(void **s)
{
	(void)s;
	struct ifd a, b;
	ifd_open(&a);
	ifd_open_on(&b, a.h);
	b.h = NULL; /* closed with a */
	struct uiommu_host *h = a.h;
	/* mf0 and mf1 are functions of one slot without ACS: one group. */
	assert_ptr_equal(grp(h, "mf0"), grp(h, "mf1"));
	unsigned gid = iommu_group_id(grp(h, "mf0"));
	int d0 = cdev_open(h, "mf0"), d1 = cdev_open(h, "mf1");
	assert_int_equal(cdev_bind(d0, a.fd, NULL), 0);
	/* The group is a's now: b cannot have a sibling, the legacy path
	 * cannot have the group. */
	assert_int_equal(cdev_bind(d1, b.fd, NULL), -EBUSY);
	assert_int_equal(vfio_open_group(h, gid), -EBUSY);
	/* The same context may bind the sibling too. */
	assert_int_equal(cdev_bind(d1, a.fd, NULL), 0);
	assert_int_equal(uiommu_close(d1), 0);
	assert_true(iommu_group_dma_owner_claimed(grp(h, "mf0")));
	assert_int_equal(uiommu_close(d0), 0);
	assert_false(iommu_group_dma_owner_claimed(grp(h, "mf0")));

	/* The other way round: an open legacy group keeps its devices from
	 * binding; once closed, they bind. */
	int gfd = vfio_open_group(h, gid);
	assert_true(gfd >= 0);
	d0 = cdev_open(h, "mf0");
	assert_int_equal(cdev_bind(d0, a.fd, NULL), -EBUSY);
	assert_int_equal(uiommu_close(gfd), 0);
	assert_int_equal(cdev_bind(d0, b.fd, NULL), 0);
	assert_int_equal(uiommu_close(d0), 0);
	assert_int_equal(uiommu_close(b.fd), 0);
	ifd_close(&a);
}

/* A sibling driven by a kernel driver makes the group unsafe: EBUSY. */
static const char *driver_sibling_topology =
	"{ \"units\": [ { \"name\": \"dmar0\", \"scope\": \"all\" } ],"
	"  \"devices\": ["
	"    { \"bdf\": \"00:00.0\", \"type\": \"host_bridge\", \"name\": \"host\" },"
	"    { \"bdf\": \"00:05.0\", \"type\": \"rc_endpoint\", \"name\": \"dsa0\","
	"      \"model\": \"dsa\", \"pasid_bits\": 20, \"siov\": true },"
	"    { \"bdf\": \"00:05.1\", \"type\": \"rc_endpoint\", \"name\": \"dt0\","
	"      \"model\": \"dmatest\" } ] }";

static void test_group_with_kernel_driver(void **s)
{
	(void)s;
	struct ifd t;
	ifd_open_on(&t, th_host(driver_sibling_topology, true));
	assert_ptr_equal(grp(t.h, "dsa0"), grp(t.h, "dt0"));
	assert_non_null(uiommu_device_find(t.h, "dsa0")->driver);
	int dfd = cdev_open(t.h, "dt0");
	assert_int_equal(cdev_bind(dfd, t.fd, NULL), -EBUSY);
	assert_int_equal(ictx_objects(&t), 0);
	/* The legacy path says the same: not viable. */
	struct vfio_group_status st = { .argsz = sizeof(st) };
	int gfd = vfio_open_group(t.h, iommu_group_id(grp(t.h, "dt0")));
	assert_true(gfd >= 0);
	assert_int_equal(ioc(gfd, VFIO_GROUP_GET_STATUS, &st), 0);
	assert_false(st.flags & VFIO_GROUP_FLAGS_VIABLE);
	assert_int_equal(uiommu_close(gfd), 0);
	assert_int_equal(uiommu_close(dfd), 0);
	ifd_close(&t);
}

/* A group's device fd is not a cdev: no bind, no attach. */
static void test_group_fd_is_not_cdev(void **s)
{
	(void)s;
	struct ifd t;
	ifd_open(&t);
	int cfd = vfio_open_container(t.h);
	int gfd = vfio_open_group(t.h, iommu_group_id(grp(t.h, "dmatest0")));
	assert_int_equal(ioc(gfd, VFIO_GROUP_SET_CONTAINER, &cfd), 0);
	assert_int_equal(vfio_ioctl(t.h, cfd, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU), 0);
	int dfd = (int)vfio_ioctl(t.h, gfd, VFIO_GROUP_GET_DEVICE_FD,
				  (unsigned long)(uintptr_t) "0000:00:02.0");
	assert_true(dfd >= 0);
	uint32_t pt = 1;
	assert_int_equal(cdev_bind(dfd, t.fd, NULL), -EINVAL);
	assert_int_equal(cdev_attach(dfd, &pt), -ENOTTY);
	assert_int_equal(cdev_detach(dfd), -ENOTTY);
	/* ... and while the group is open, the cdev cannot bind. */
	int cdfd = cdev_open(t.h, "dmatest0");
	assert_int_equal(cdev_bind(cdfd, t.fd, NULL), -EBUSY);
	assert_int_equal(uiommu_close(cdfd), 0);
	assert_int_equal(uiommu_close(dfd), 0);
	assert_int_equal(uiommu_close(gfd), 0);
	assert_int_equal(uiommu_close(cfd), 0);
	ifd_close(&t);
}

/* ---- attach and detach: every bad argument ---- */

static void test_attach_args(void **s)
{
	(void)s;
	struct ifd t;
	ifd_open(&t);
	int dfd = cdev_open(t.h, "dmatest0");
	uint32_t ioas;
	assert_int_equal(ioas_alloc(t.fd, &ioas), 0);
	assert_int_equal(cdev_bind(dfd, t.fd, NULL), 0);
	struct vfio_device_attach_iommufd_pt a = { .argsz = sizeof(a), .pt_id = ioas };
	a.argsz = offsetof(struct vfio_device_attach_iommufd_pt, pt_id) + 3;
	assert_int_equal(ioc(dfd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &a), -EINVAL);
	a.argsz = sizeof(a);
	a.flags = 1u << 1;
	assert_int_equal(ioc(dfd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &a), -EINVAL);
	/* dmatest has no PASIDs: no vPASID attach at all. */
	a.flags = VFIO_DEVICE_ATTACH_PASID;
	a.pasid = 1;
	assert_int_equal(ioc(dfd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &a), -EOPNOTSUPP);
	a.flags = 0;
	a.pt_id = UINT32_MAX;
	assert_int_equal(ioc(dfd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &a), -ENOENT);
	a.pt_id = 0;
	assert_int_equal(ioc(dfd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &a), -ENOENT);
	assert_int_equal(ioc(dfd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, (void *)8), -EFAULT);
	/* The answer cannot be written: nothing attached. */
	struct vfio_device_attach_iommufd_pt *ro =
		mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	*ro = (struct vfio_device_attach_iommufd_pt){ .argsz = sizeof(*ro), .pt_id = ioas };
	mprotect(ro, 4096, PROT_READ);
	assert_int_equal(ioc(dfd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, ro), -EFAULT);
	assert_ptr_equal(rid_domain(t.h, "dmatest0"), grp(t.h, "dmatest0")->blocking_domain);
	munmap(ro, 4096);
	assert_int_equal(ictx_objects(&t), 2); /* the IOAS and the device */

	struct vfio_device_detach_iommufd_pt d = { .argsz = 7 };
	assert_int_equal(ioc(dfd, VFIO_DEVICE_DETACH_IOMMUFD_PT, &d), -EINVAL);
	d.argsz = sizeof(d);
	d.flags = 1u << 2;
	assert_int_equal(ioc(dfd, VFIO_DEVICE_DETACH_IOMMUFD_PT, &d), -EINVAL);
	d.flags = VFIO_DEVICE_DETACH_PASID;
	assert_int_equal(ioc(dfd, VFIO_DEVICE_DETACH_IOMMUFD_PT, &d), -EOPNOTSUPP);
	assert_int_equal(ioc(dfd, VFIO_DEVICE_DETACH_IOMMUFD_PT, (void *)8), -EFAULT);

	/* Attached, the IOAS and its HWPT are in use. */
	uint32_t pt = ioas;
	assert_int_equal(cdev_attach(dfd, &pt), 0);
	assert_int_equal(obj_destroy(t.fd, ioas), -EBUSY);
	assert_int_equal(obj_destroy(t.fd, pt), -EBUSY);
	assert_int_equal(uiommu_close(dfd), 0);
	/* Gone with the device: the automatic HWPT too. */
	assert_int_equal(obj_destroy(t.fd, pt), -ENOENT);
	assert_int_equal(obj_destroy(t.fd, ioas), 0);
	ifd_close(&t);
}

/* Binding to the iommufd of another host is refused. */
static void test_bind_other_host(void **s)
{
	(void)s;
	struct ifd a, b;
	ifd_open(&a);
	ifd_open(&b);
	int dfd = cdev_open(a.h, "dmatest0");
	assert_int_equal(cdev_bind(dfd, b.fd, NULL), -EINVAL);
	assert_int_equal(cdev_bind(dfd, a.fd, NULL), 0);
	assert_int_equal(uiommu_close(dfd), 0);
	ifd_close(&b);
	ifd_close(&a);
}

/* ---- BARs that are plain memory: mmap (U-4, vfio-pci for real clients) ---- */

static void test_bar_mmap(void **s)
{
	(void)s;
	struct ifd t;
	ifd_open(&t);
	uint32_t ioas;
	assert_int_equal(ioas_alloc(t.fd, &ioas), 0);
	int dfd = cdev_open_bound(&t, "dmatest0", ioas, NULL);
	struct vfio_region_info r0 = { .argsz = sizeof(r0), .index = 0 };
	struct vfio_region_info r2 = { .argsz = sizeof(r2), .index = 2 };
	struct vfio_region_info rc = { .argsz = sizeof(rc), .index = VFIO_PCI_CONFIG_REGION_INDEX };
	assert_int_equal(ioc(dfd, VFIO_DEVICE_GET_REGION_INFO, &r0), 0);
	assert_int_equal(ioc(dfd, VFIO_DEVICE_GET_REGION_INFO, &r2), 0);
	assert_int_equal(ioc(dfd, VFIO_DEVICE_GET_REGION_INFO, &rc), 0);
	/* Registers and config space: no mmap; device memory: mmap. */
	assert_false(r0.flags & VFIO_REGION_INFO_FLAG_MMAP);
	assert_false(rc.flags & VFIO_REGION_INFO_FLAG_MMAP);
	assert_true(r2.flags & VFIO_REGION_INFO_FLAG_MMAP);
	assert_int_equal(r2.size, DMATEST_BAR2_SIZE);
	void *p, *q;
	assert_int_equal(uiommu_mmap(dfd, NULL, 4096, PROT_READ, MAP_SHARED, (int64_t)r0.offset,
				     &p),
			 -EINVAL);
	assert_int_equal(uiommu_mmap(dfd, NULL, 4096, PROT_READ, MAP_PRIVATE, (int64_t)r2.offset,
				     &p),
			 -EINVAL);
	assert_int_equal(uiommu_mmap(dfd, NULL, r2.size + 4096, PROT_READ, MAP_SHARED,
				     (int64_t)r2.offset, &p),
			 -EINVAL);
	assert_int_equal(uiommu_mmap(dfd, NULL, r2.size, PROT_READ | PROT_WRITE, MAP_SHARED,
				     (int64_t)r2.offset, &p),
			 0);
	/* A window at an offset sees the same memory; so do pread/pwrite. */
	assert_int_equal(uiommu_mmap(dfd, NULL, 4096, PROT_READ, MAP_SHARED,
				     (int64_t)(r2.offset + 0x2000), &q),
			 0);
	memcpy((uint8_t *)p + 0x2010, "device memory", 14);
	assert_memory_equal((uint8_t *)q + 0x10, "device memory", 14);
	/* pread/pwrite are memory cycles: with decoding off, all ones. */
	char back[14];
	assert_int_equal(uiommu_pread(dfd, back, 4, (int64_t)(r2.offset + 0x2010)), 4);
	assert_memory_equal(back, "\xff\xff\xff\xff", 4);
	dt_bus_master(dfd);
	assert_int_equal(uiommu_pread(dfd, back, 14, (int64_t)(r2.offset + 0x2010)), 14);
	assert_memory_equal(back, "device memory", 14);
	assert_int_equal(uiommu_pwrite(dfd, "BAR", 3, (int64_t)(r2.offset + 0x30)), 3);
	assert_memory_equal((uint8_t *)p + 0x30, "BAR", 3);
	/* Device memory is not pages iommufd can pin (Linux: VM_PFNMAP). */
	assert_int_equal(ioas_map_fixed(t.fd, ioas, p, 4096, 0x100000), -EFAULT);
	assert_int_equal(uiommu_munmap(q, 4096), 0);
	assert_int_equal(uiommu_munmap(p, r2.size), 0);
	assert_int_equal(uiommu_close(dfd), 0);
	ifd_close(&t);
}

/* ---- the group API on a /dev/iommu descriptor (iommufd compat) ---- */

static void test_group_on_iommufd(void **s)
{
	(void)s;
	struct ifd t;
	ifd_open(&t);
	unsigned gid = iommu_group_id(grp(t.h, "dmatest0"));
	int gfd = vfio_open_group(t.h, gid);
	assert_true(gfd >= 0);
	assert_int_equal(ioc(gfd, VFIO_GROUP_SET_CONTAINER, &t.fd), 0);
	assert_int_equal(ioc(gfd, VFIO_GROUP_SET_CONTAINER, &t.fd), -EINVAL);
	struct vfio_group_status st = { .argsz = sizeof(st) };
	assert_int_equal(ioc(gfd, VFIO_GROUP_GET_STATUS, &st), 0);
	assert_true(st.flags & VFIO_GROUP_FLAGS_CONTAINER_SET);
	/* The compat IOAS exists; type1 calls go to it. */
	uint32_t ioas;
	assert_int_equal(iommufd_vfio_compat_ioas_get_id(t.ictx, &ioas), 0);
	assert_int_equal(ioc(t.fd, VFIO_SET_IOMMU, (void *)(uintptr_t)VFIO_TYPE1v2_IOMMU), 0);
	int dfd = (int)vfio_ioctl(t.h, gfd, VFIO_GROUP_GET_DEVICE_FD,
				  (unsigned long)(uintptr_t) "0000:00:02.0");
	assert_true(dfd >= 0);
	/* Opened: bound to the iommufd and attached to its compat IOAS. */
	assert_true(iommu_group_dma_owner_claimed(grp(t.h, "dmatest0")));
	uint8_t *mem = buf_alloc(1 << 16);
	struct vfio_iommu_type1_dma_map m = { .argsz = sizeof(m),
					      .flags = VFIO_DMA_MAP_FLAG_READ |
						       VFIO_DMA_MAP_FLAG_WRITE,
					      .vaddr = (uintptr_t)mem, .iova = 0x100000,
					      .size = 1 << 16 };
	assert_int_equal(ioc(t.fd, VFIO_IOMMU_MAP_DMA, &m), 0);
	dt_bus_master(dfd);
	dt_copy_lands(dfd, mem, 0x100000, mem + 0x4000, 0x104000, 2048, 11);
	/* No cdev binding of it meanwhile; no unset with a device open. */
	int cdfd = cdev_open(t.h, "dmatest0");
	assert_int_equal(cdev_bind(cdfd, t.fd, NULL), -EBUSY);
	assert_int_equal(uiommu_close(cdfd), 0);
	assert_int_equal(ioc(gfd, VFIO_GROUP_UNSET_CONTAINER, NULL), -EBUSY);
	assert_int_equal(uiommu_close(dfd), 0);
	/* The last close unbinds: the kernel has the group again. */
	assert_false(iommu_group_dma_owner_claimed(grp(t.h, "dmatest0")));
	assert_int_equal(ioc(gfd, VFIO_GROUP_UNSET_CONTAINER, NULL), 0);
	assert_int_equal(ioc(gfd, VFIO_GROUP_UNSET_CONTAINER, NULL), -EINVAL);
	/* Neither a container nor /dev/iommu: EBADFD. */
	int other = vfio_open_group(t.h, iommu_group_id(grp(t.h, "dmatest1")));
	assert_int_equal(ioc(gfd, VFIO_GROUP_SET_CONTAINER, &other), -EBADFD);
	assert_int_equal(uiommu_close(other), 0);
	assert_int_equal(uiommu_close(gfd), 0);
	struct vfio_iommu_type1_dma_unmap u = { .argsz = sizeof(u),
						.flags = VFIO_DMA_UNMAP_FLAG_ALL };
	assert_int_equal(ioc(t.fd, VFIO_IOMMU_UNMAP_DMA, &u), 0);
	munmap(mem, 1 << 16);
	ifd_close(&t);
}

/* Two files of one device race to bind, and close, again and again: one
 * bind wins each round, the other gets EINVAL (or EBUSY from the group
 * claim), and the group is the kernel's again after both close. */
struct racer {
	struct ifd *t;
	int rc;
	pthread_barrier_t *go;
};

static void *race_bind(void *arg)
{
	struct racer *r = arg;
	int dfd = cdev_open(r->t->h, "dmatest0");
	pthread_barrier_wait(r->go);
	r->rc = cdev_bind(dfd, r->t->fd, NULL);
	pthread_barrier_wait(r->go);
	uiommu_close(dfd);
	return NULL;
}

static void test_bind_race(void **s)
{
	(void)s;
	struct ifd t;
	ifd_open(&t);
	pthread_barrier_t go;
	pthread_barrier_init(&go, NULL, 2);
	for (int i = 0; i < 100; i++) {
		struct racer a = { &t, 1, &go }, b = { &t, 1, &go };
		pthread_t ta, tb;
		pthread_create(&ta, NULL, race_bind, &a);
		pthread_create(&tb, NULL, race_bind, &b);
		pthread_join(ta, NULL);
		pthread_join(tb, NULL);
		assert_true((a.rc == 0) != (b.rc == 0));
		assert_true(a.rc == 0 || a.rc == -EINVAL || a.rc == -EBUSY);
		assert_true(b.rc == 0 || b.rc == -EINVAL || b.rc == -EBUSY);
		assert_false(iommu_group_dma_owner_claimed(grp(t.h, "dmatest0")));
	}
	pthread_barrier_destroy(&go);
	assert_int_equal(ictx_objects(&t), 0);
	ifd_close(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nodes),
		cmocka_unit_test(test_no_access_before_bind),
		cmocka_unit_test(test_bind_args),
		cmocka_unit_test(test_bind_is_security_context),
		cmocka_unit_test(test_group_context),
		cmocka_unit_test(test_group_with_kernel_driver),
		cmocka_unit_test(test_group_fd_is_not_cdev),
		cmocka_unit_test(test_attach_args),
		cmocka_unit_test(test_bind_other_host),
		cmocka_unit_test(test_bar_mmap),
		cmocka_unit_test(test_group_on_iommufd),
		cmocka_unit_test(test_bind_race),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
