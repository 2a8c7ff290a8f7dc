/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * VFIO type1 on the /dev/iommu file (SPEC U-14): IOMMU_VFIO_IOAS picks
 * the IOAS, and the container ioctls of a program written for
 * /dev/vfio/vfio act on it - version, extensions, SET_IOMMU (type1 turns
 * large pages off so any page can be unmapped), MAP/UNMAP_DMA with VFIO's
 * errnos, GET_INFO with its capability chain.
 */
#include <linux/vfio.h>

#include "iommufd_utils.h"

#define PG 4096ull
#define BASE (1ull << 24)

static long vioc(int fd, unsigned long cmd, unsigned long arg)
{
	return uiommu_ioctl(fd, cmd, arg);
}

static void without_a_compat_ioas(void **state)
{
	(void)state;
	struct ifd t;
	ifd_open(&t);
	assert_int_equal(vioc(t.fd, VFIO_GET_API_VERSION, 0), VFIO_API_VERSION);
	assert_int_equal(vioc(t.fd, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU), 1);
	assert_int_equal(vioc(t.fd, VFIO_CHECK_EXTENSION, VFIO_TYPE1_IOMMU), 1);
	assert_int_equal(vioc(t.fd, VFIO_CHECK_EXTENSION, VFIO_UNMAP_ALL), 1);
	assert_int_equal(vioc(t.fd, VFIO_CHECK_EXTENSION, VFIO_UPDATE_VADDR), 0);
	assert_int_equal(vioc(t.fd, VFIO_CHECK_EXTENSION, VFIO_DMA_CC_IOMMU), -ENODEV);
	struct vfio_iommu_type1_dma_unmap u = { .iova = BASE, .size = PG, .argsz = 1 };
	assert_int_equal(vioc(t.fd, VFIO_IOMMU_UNMAP_DMA, (uintptr_t)&u), -EINVAL);
	u.argsz = sizeof(u);
	u.flags = 1u << 31;
	assert_int_equal(vioc(t.fd, VFIO_IOMMU_UNMAP_DMA, (uintptr_t)&u), -EINVAL);
	u.flags = 0;
	assert_int_equal(vioc(t.fd, VFIO_IOMMU_UNMAP_DMA, (uintptr_t)&u), -ENODEV);
	uint8_t *buf = buf_alloc(PG);
	struct vfio_iommu_type1_dma_map m = { .argsz = 1, .iova = BASE, .size = PG,
					      .vaddr = (uintptr_t)buf };
	assert_int_equal(vioc(t.fd, VFIO_IOMMU_MAP_DMA, (uintptr_t)&m), -EINVAL);
	m.argsz = sizeof(m);
	m.flags = 1u << 31;
	assert_int_equal(vioc(t.fd, VFIO_IOMMU_MAP_DMA, (uintptr_t)&m), -EINVAL);
	m.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE;
	assert_int_equal(vioc(t.fd, VFIO_IOMMU_MAP_DMA, (uintptr_t)&m), -ENODEV);
	struct vfio_iommu_type1_info info = { .argsz = 1 };
	assert_int_equal(vioc(t.fd, VFIO_IOMMU_GET_INFO, (uintptr_t)&info), -EINVAL);
	info.argsz = sizeof(info);
	assert_int_equal(vioc(t.fd, VFIO_IOMMU_GET_INFO, (uintptr_t)&info), -ENODEV);
	assert_int_equal(vioc(t.fd, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU), -ENODEV);
	assert_int_equal(vioc(t.fd, VFIO_SET_IOMMU, VFIO_TYPE1_IOMMU), -ENODEV);
	assert_int_equal(vioc(t.fd, VFIO_SET_IOMMU, 42), -EINVAL);
	assert_int_equal(vioc(t.fd, VFIO_IOMMU_MAP_DMA + 0x40, 0), -ENOTTY);
	/* IOMMU_VFIO_IOAS itself. */
	struct iommu_vfio_ioas v = { .size = sizeof(v), .op = IOMMU_VFIO_IOAS_GET };
	assert_int_equal(ioc(t.fd, IOMMU_VFIO_IOAS, &v), -ENODEV);
	v.op = IOMMU_VFIO_IOAS_SET;
	assert_int_equal(ioc(t.fd, IOMMU_VFIO_IOAS, &v), -ENOENT);
	uint32_t ioas;
	assert_int_equal(ioas_alloc(t.fd, &ioas), 0);
	v.ioas_id = ioas;
	assert_int_equal(ioc(t.fd, IOMMU_VFIO_IOAS, &v), 0);
	v.op = IOMMU_VFIO_IOAS_GET;
	v.ioas_id = 0;
	assert_int_equal(ioc(t.fd, IOMMU_VFIO_IOAS, &v), 0);
	assert_int_equal(v.ioas_id, ioas);
	v.op = 7;
	assert_int_equal(ioc(t.fd, IOMMU_VFIO_IOAS, &v), -EOPNOTSUPP);
	v.op = IOMMU_VFIO_IOAS_CLEAR;
	assert_int_equal(ioc(t.fd, IOMMU_VFIO_IOAS, &v), 0);
	v.op = IOMMU_VFIO_IOAS_GET;
	assert_int_equal(ioc(t.fd, IOMMU_VFIO_IOAS, &v), -ENODEV);
	/* Destroying the compat IOAS clears it. */
	v.op = IOMMU_VFIO_IOAS_SET;
	v.ioas_id = ioas;
	assert_int_equal(ioc(t.fd, IOMMU_VFIO_IOAS, &v), 0);
	assert_int_equal(obj_destroy(t.fd, ioas), 0);
	v.op = IOMMU_VFIO_IOAS_GET;
	assert_int_equal(ioc(t.fd, IOMMU_VFIO_IOAS, &v), -ENODEV);
	/* The driver-side creation makes one, and finds it after. */
	uint32_t id;
	assert_int_equal(iommufd_vfio_compat_ioas_create(t.ictx), 0);
	assert_int_equal(iommufd_vfio_compat_ioas_get_id(t.ictx, &id), 0);
	assert_int_equal(iommufd_vfio_compat_ioas_create(t.ictx), 0);
	uint32_t id2;
	assert_int_equal(iommufd_vfio_compat_ioas_get_id(t.ictx, &id2), 0);
	assert_int_equal(id, id2);
	assert_int_equal(iommufd_vfio_compat_set_no_iommu(t.ictx), -EINVAL);
	munmap(buf, PG);
	ifd_close(&t);
}

struct rig {
	struct ifd t;
	struct device *d;
	struct iommufd_device *idev;
	uint32_t dev, ioas;
};

/* What VFIO does for a group: a device attached to the compat IOAS. */
static void rig_init(struct rig *r, unsigned version)
{
	memset(r, 0, sizeof(*r));
	ifd_open(&r->t);
	r->d = th_device(r->t.h, "dmatest0");
	int err;
	r->idev = iommufd_device_bind(r->t.ictx, r->d, &r->dev, &err);
	assert_int_equal(ioas_alloc(r->t.fd, &r->ioas), 0);
	uint32_t pt = r->ioas;
	assert_int_equal(iommufd_device_attach(r->idev, IOMMU_NO_PASID, &pt), 0);
	struct iommu_vfio_ioas v = { .size = sizeof(v), .op = IOMMU_VFIO_IOAS_SET,
				     .ioas_id = r->ioas };
	assert_int_equal(ioc(r->t.fd, IOMMU_VFIO_IOAS, &v), 0);
	assert_int_equal(vioc(r->t.fd, VFIO_SET_IOMMU, version), 0);
}

static void rig_fini(struct rig *r)
{
	iommufd_device_detach(r->idev, IOMMU_NO_PASID);
	iommufd_device_unbind(r->idev);
	ifd_close(&r->t);
}

static uint64_t huge_pages(struct rig *r)
{
	struct iommu_option c = { .size = sizeof(c), .option_id = IOMMU_OPTION_HUGE_PAGES,
				  .op = IOMMU_OPTION_OP_GET, .object_id = r->ioas, .val64 = 3 };
	assert_int_equal(ioc(r->t.fd, IOMMU_OPTION, &c), 0);
	return c.val64;
}

static bool filled(const uint8_t *p, uint8_t c, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != c)
			return false;
	return true;
}

/* Walk a capability chain as the kernel selftest does. */
static void check_cap_chain(const uint8_t *buf, const struct vfio_iommu_type1_info *info)
{
	assert_true(info->argsz >= info->cap_offset + sizeof(struct vfio_info_cap_header));
	const struct vfio_info_cap_header *cap = (const void *)(buf + info->cap_offset);
	for (;;) {
		size_t size = cap->next ? (size_t)(buf + cap->next - (const uint8_t *)cap) :
					  (size_t)(buf + info->argsz - (const uint8_t *)cap);
		if (cap->id == VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE) {
			const struct vfio_iommu_type1_info_cap_iova_range *d = (const void *)cap;
			assert_int_equal(d->header.version, 1);
			/* Below and above the interrupt window. */
			assert_int_equal(d->nr_iovas, 2);
			assert_int_equal(d->iova_ranges[0].end, 0xfedfffffull);
			assert_int_equal(d->iova_ranges[1].start, 0xfef00000ull);
		} else if (cap->id == VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL) {
			/* Capabilities are padded to 8 bytes in the chain. */
			assert_int_equal(size,
					 (sizeof(struct vfio_iommu_type1_info_dma_avail) + 7) & ~7ul);
			assert_int_equal(((const struct vfio_iommu_type1_info_dma_avail *)cap)->avail,
					 UINT32_MAX);
		} else {
			fail_msg("unknown capability %u", cap->id);
		}
		if (!cap->next)
			break;
		assert_true(info->argsz >= cap->next + sizeof(*cap));
		assert_true(buf + cap->next >= (const uint8_t *)cap);
		cap = (const void *)(buf + cap->next);
	}
}

static void get_info(void **state)
{
	(void)state;
	struct rig r;
	rig_init(&r, VFIO_TYPE1v2_IOMMU);
	assert_int_equal(huge_pages(&r), 1);
	uint8_t buf[512];
	struct vfio_iommu_type1_info *info = (void *)buf;
	/* The pre-capability ABI, then the chain's size, then every size
	 * in between: nothing is written past argsz. */
	*info = (struct vfio_iommu_type1_info){
		.argsz = offsetof(struct vfio_iommu_type1_info, cap_offset) };
	memset(buf + info->argsz, 0xaa, sizeof(buf) - info->argsz);
	assert_int_equal(vioc(r.t.fd, VFIO_IOMMU_GET_INFO, (uintptr_t)buf), 0);
	assert_int_equal(info->iova_pgsizes & PG, PG);
	assert_int_equal(info->flags, VFIO_IOMMU_INFO_PGSIZES | VFIO_IOMMU_INFO_CAPS);
	assert_true(filled(buf + offsetof(struct vfio_iommu_type1_info, cap_offset), 0xaa, 64));
	*info = (struct vfio_iommu_type1_info){ .argsz = sizeof(*info) };
	assert_int_equal(vioc(r.t.fd, VFIO_IOMMU_GET_INFO, (uintptr_t)buf), 0);
	assert_int_equal(info->cap_offset, 0);
	size_t caplen = info->argsz;
	assert_true(caplen > sizeof(*info) && caplen < sizeof(buf));
	for (size_t i = sizeof(*info); i <= caplen; i++) {
		*info = (struct vfio_iommu_type1_info){ .argsz = (uint32_t)i };
		memset(buf + i, 0xaa, sizeof(buf) - i);
		assert_int_equal(vioc(r.t.fd, VFIO_IOMMU_GET_INFO, (uintptr_t)buf), 0);
		assert_true(filled(buf + i, 0xaa, sizeof(buf) - i));
		if (info->cap_offset)
			check_cap_chain(buf, info);
	}
	assert_int_equal(info->cap_offset, sizeof(*info));
	assert_int_equal(vioc(r.t.fd, VFIO_CHECK_EXTENSION, VFIO_DMA_CC_IOMMU), 1);
	rig_fini(&r);
}

static void map_unmap(unsigned version)
{
	struct rig r;
	rig_init(&r, version);
	assert_int_equal(huge_pages(&r), version == VFIO_TYPE1_IOMMU ? 0 : 1);
	/* 2 MiB aligned, so a large page could be used where allowed. */
	size_t len = 4u << 20;
	uint8_t *raw = buf_alloc(len + (2u << 20));
	uint8_t *buf = (uint8_t *)(((uintptr_t)raw + (2u << 20) - 1) & ~((2ul << 20) - 1));
	struct vfio_iommu_type1_dma_map m = { .argsz = sizeof(m),
					      .flags = VFIO_DMA_MAP_FLAG_READ |
						       VFIO_DMA_MAP_FLAG_WRITE,
					      .vaddr = (uintptr_t)buf, .size = len, .iova = BASE };
	struct vfio_iommu_type1_dma_unmap u = { .argsz = sizeof(u), .size = len, .iova = BASE };
	assert_int_equal(vioc(r.t.fd, VFIO_IOMMU_MAP_DMA, (uintptr_t)&m), 0);
	th_dma_lands(r.d, PCI_NO_PASID, BASE + (3u << 20) + 5, buf + (3u << 20) + 5, "compat");
	assert_int_equal(vioc(r.t.fd, VFIO_IOMMU_UNMAP_DMA, (uintptr_t)&u), 0);
	assert_int_equal(u.size, len);
	/* Unmapping nothing succeeds, unlike IOAS_UNMAP. */
	assert_int_equal(vioc(r.t.fd, VFIO_IOMMU_UNMAP_DMA, (uintptr_t)&u), 0);
	assert_int_equal(u.size, 0);
	/* UNMAP_ALL wants iova and size 0. */
	assert_int_equal(vioc(r.t.fd, VFIO_IOMMU_MAP_DMA, (uintptr_t)&m), 0);
	u = (struct vfio_iommu_type1_dma_unmap){ .argsz = sizeof(u), .iova = BASE, .size = len,
						 .flags = VFIO_DMA_UNMAP_FLAG_ALL };
	assert_int_equal(vioc(r.t.fd, VFIO_IOMMU_UNMAP_DMA, (uintptr_t)&u), -EINVAL);
	u.iova = u.size = 0;
	assert_int_equal(vioc(r.t.fd, VFIO_IOMMU_UNMAP_DMA, (uintptr_t)&u), 0);
	assert_int_equal(u.size, len);
	/* Type1 cuts a large mapping where asked; type1v2 refuses. */
	assert_int_equal(vioc(r.t.fd, VFIO_IOMMU_MAP_DMA, (uintptr_t)&m), 0);
	unsigned order[16];
	for (unsigned i = 0; i < 16; i++)
		order[i] = (i * 7) % 16;
	for (unsigned i = 0; i < 16; i++) {
		u = (struct vfio_iommu_type1_dma_unmap){ .argsz = sizeof(u), .size = len / 16,
							 .iova = BASE + order[i] * (len / 16) };
		long rc = vioc(r.t.fd, VFIO_IOMMU_UNMAP_DMA, (uintptr_t)&u);
		assert_int_equal(rc, version == VFIO_TYPE1_IOMMU ? 0 : -ENOENT);
		if (!rc) {
			/* The rest still reaches the device. */
			th_dma_faults(r.d, PCI_NO_PASID, BASE + order[i] * (len / 16));
			if (i < 15) {
				unsigned other = order[i + 1];
				th_dma_lands(r.d, PCI_NO_PASID, BASE + other * (len / 16),
					     buf + other * (len / 16), "rest");
			}
		}
	}
	munmap(raw, len + (2u << 20));
	rig_fini(&r);
}

static void map_type1v2(void **state)
{
	(void)state;
	map_unmap(VFIO_TYPE1v2_IOMMU);
}

static void map_type1(void **state)
{
	(void)state;
	map_unmap(VFIO_TYPE1_IOMMU);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(without_a_compat_ioas),
		cmocka_unit_test(get_info),
		cmocka_unit_test(map_type1v2),
		cmocka_unit_test(map_type1),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
