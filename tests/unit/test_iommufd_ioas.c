/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * /dev/iommu without devices (SPEC U-1, U-2, U-3): the ioctl framing for
 * every command, object IDs and DESTROY, options, and the IOAS calls -
 * MAP, MAP_FILE, COPY, UNMAP, IOVA_RANGES, ALLOW_IOVAS - with the errnos
 * Linux gives, each failure leaving the IOAS as it was.
 */
#include <sys/ioctl.h>
#include <linux/capability.h>
#include <unistd.h>

#include "iommufd_utils.h"
#include "mm/mm.h"

static void node_and_simple_close(void **state)
{
	(void)state;
	struct ifd t;
	ifd_open(&t);
	assert_true(uiommu_node_exists(t.h, "/dev/iommu"));
	ifd_close(&t);
}

static void cmd_fail(void **state)
{
	(void)state;
	struct ifd t;
	ifd_open(&t);
	struct iommu_destroy cmd = { .size = sizeof(cmd), .id = 0 };
	assert_int_equal(ioc(t.fd, IOMMU_DESTROY, &cmd), -ENOENT);
	assert_int_equal(ioc(t.fd, IOMMU_DESTROY, NULL), -EFAULT);
	assert_int_equal(ioc(t.fd, _IO(IOMMUFD_TYPE, IOMMUFD_CMD_BASE - 1), &cmd), -ENOTTY);
	/* The right number with a size/direction encoding is not the command. */
	unsigned long sized = _IOW(IOMMUFD_TYPE, IOMMUFD_CMD_BASE, struct iommu_destroy);
	assert_int_equal(ioc(t.fd, sized, &cmd), -ENOTTY);
	/* Past the last command: not a test command without the selftest. */
	assert_int_equal(ioc(t.fd, _IO(IOMMUFD_TYPE, IOMMUFD_CMD_BASE + 32), &cmd), -ENOTTY);
	ifd_close(&t);
}

/*
 * Every command at min-1 (EINVAL), at size+1 with a non-zero byte (E2BIG)
 * and with a zero byte (as at the exact size) - the kernel selftest's
 * cmd_length, for every ioctl of the table.
 */
#define TEST_LENGTH(_struct, _ioctl, _last)                                              \
	do {                                                                             \
		size_t min_size = offsetof(struct _struct, _last) +                      \
				  sizeof(((struct _struct *)0)->_last);                  \
		struct {                                                                 \
			struct _struct cmd;                                              \
			uint8_t extra;                                                   \
		} __attribute__((packed)) c;                                             \
		memset(&c, 0, sizeof(c));                                                \
		c.cmd.size = (uint32_t)min_size - 1;                                     \
		c.extra = UINT8_MAX;                                                     \
		assert_int_equal(ioc(t.fd, _ioctl, &c), -EINVAL);                        \
		c.cmd.size = sizeof(struct _struct) + 1;                                 \
		assert_int_equal(ioc(t.fd, _ioctl, &c), -E2BIG);                         \
		memset(&c, 0, sizeof(c));                                                \
		c.cmd.size = sizeof(struct _struct);                                     \
		int rc = ioc(t.fd, _ioctl, &c);                                          \
		uint64_t before = ioas_state(&t, ioas);                                  \
		memset(&c, 0, sizeof(c));                                                \
		c.cmd.size = sizeof(struct _struct) + 1;                                 \
		if (rc)                                                                  \
			assert_int_equal(ioc(t.fd, _ioctl, &c), rc);                     \
		else                                                                     \
			assert_int_equal(ioc(t.fd, _ioctl, &c), 0);                      \
		if (rc)                                                                  \
			assert_int_equal(ioas_state(&t, ioas), before);                  \
	} while (0)

static void cmd_length(void **state)
{
	(void)state;
	struct ifd t;
	ifd_open(&t);
	uint32_t ioas;
	assert_int_equal(ioas_alloc(t.fd, &ioas), 0);
	TEST_LENGTH(iommu_destroy, IOMMU_DESTROY, id);
	TEST_LENGTH(iommu_hw_info, IOMMU_GET_HW_INFO, __reserved);
	TEST_LENGTH(iommu_hwpt_alloc, IOMMU_HWPT_ALLOC, __reserved);
	TEST_LENGTH(iommu_hwpt_invalidate, IOMMU_HWPT_INVALIDATE, __reserved);
	TEST_LENGTH(iommu_ioas_alloc, IOMMU_IOAS_ALLOC, out_ioas_id);
	TEST_LENGTH(iommu_ioas_iova_ranges, IOMMU_IOAS_IOVA_RANGES, out_iova_alignment);
	TEST_LENGTH(iommu_ioas_allow_iovas, IOMMU_IOAS_ALLOW_IOVAS, allowed_iovas);
	TEST_LENGTH(iommu_ioas_map, IOMMU_IOAS_MAP, iova);
	TEST_LENGTH(iommu_ioas_copy, IOMMU_IOAS_COPY, src_iova);
	TEST_LENGTH(iommu_ioas_unmap, IOMMU_IOAS_UNMAP, length);
	TEST_LENGTH(iommu_option, IOMMU_OPTION, val64);
	TEST_LENGTH(iommu_vfio_ioas, IOMMU_VFIO_IOAS, __reserved);
	TEST_LENGTH(iommu_ioas_map_file, IOMMU_IOAS_MAP_FILE, iova);
	TEST_LENGTH(iommu_viommu_alloc, IOMMU_VIOMMU_ALLOC, out_viommu_id);
	TEST_LENGTH(iommu_vdevice_alloc, IOMMU_VDEVICE_ALLOC, virt_id);
	TEST_LENGTH(iommu_ioas_change_process, IOMMU_IOAS_CHANGE_PROCESS, __reserved);
	TEST_LENGTH(iommu_hwpt_set_dirty_tracking, IOMMU_HWPT_SET_DIRTY_TRACKING, __reserved);
	TEST_LENGTH(iommu_hwpt_get_dirty_bitmap, IOMMU_HWPT_GET_DIRTY_BITMAP, data);
	TEST_LENGTH(iommu_fault_alloc, IOMMU_FAULT_QUEUE_ALLOC, out_fault_fd);
	TEST_LENGTH(iommu_veventq_alloc, IOMMU_VEVENTQ_ALLOC, out_veventq_fd);
	TEST_LENGTH(iommu_hw_queue_alloc, IOMMU_HW_QUEUE_ALLOC, length);
	ifd_close(&t);
}

static void cmd_ex_fail(void **state)
{
	(void)state;
	struct ifd t;
	ifd_open(&t);
	struct {
		struct iommu_destroy cmd;
		uint64_t future;
	} c = { .cmd = { .size = sizeof(c), .id = 0 } };
	assert_int_equal(ioc(t.fd, IOMMU_DESTROY, &c), -ENOENT);
	c.future = 1;
	assert_int_equal(ioc(t.fd, IOMMU_DESTROY, &c), -E2BIG);
	c.cmd.size = sizeof(c.cmd);
	assert_int_equal(ioc(t.fd, IOMMU_DESTROY, &c), -ENOENT);
	c.cmd.size = sizeof(c.cmd) - 1;
	assert_int_equal(ioc(t.fd, IOMMU_DESTROY, &c), -EINVAL);
	/* A tail that cannot be read is EFAULT, not E2BIG. */
	uint8_t *page = buf_alloc(8192);
	munmap(page + 4096, 4096);
	struct iommu_destroy *edge = (struct iommu_destroy *)(page + 4096 - sizeof(*edge));
	edge->size = sizeof(*edge) + 64;
	edge->id = 0;
	assert_int_equal(ioc(t.fd, IOMMU_DESTROY, edge), -EFAULT);
	munmap(page, 4096);
	ifd_close(&t);
}

static void object_ids(void **state)
{
	(void)state;
	struct ifd t;
	ifd_open(&t);
	uint32_t id[4];
	for (int i = 0; i < 4; i++) {
		assert_int_equal(ioas_alloc(t.fd, &id[i]), 0);
		assert_int_equal(id[i], i + 1);
	}
	assert_int_equal(obj_destroy(t.fd, id[1]), 0);
	assert_int_equal(obj_destroy(t.fd, id[1]), -ENOENT);
	assert_int_equal(obj_destroy(t.fd, 77), -ENOENT);
	/* The lowest free ID comes back first. */
	uint32_t again;
	assert_int_equal(ioas_alloc(t.fd, &again), 0);
	assert_int_equal(again, 2);
	struct iommu_ioas_alloc a = { .size = sizeof(a), .flags = 1 };
	assert_int_equal(ioc(t.fd, IOMMU_IOAS_ALLOC, &a), -EOPNOTSUPP);
	assert_int_equal(ictx_objects(&t), 4);
	/* A response that cannot be written: no object is left behind. */
	struct iommu_ioas_alloc *ro = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
					    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ro->size = sizeof(*ro);
	mprotect(ro, 4096, PROT_READ);
	assert_int_equal(ioc(t.fd, IOMMU_IOAS_ALLOC, ro), -EFAULT);
	munmap(ro, 4096);
	assert_int_equal(ictx_objects(&t), 4);
	assert_int_equal(ioas_alloc(t.fd, &again), 0);
	assert_int_equal(again, 5);
	ifd_close(&t);
}

static int option(int fd, uint32_t id, uint16_t op, uint32_t obj, uint64_t *val)
{
	struct iommu_option c = { .size = sizeof(c), .option_id = id, .op = op, .object_id = obj,
				  .val64 = *val };
	int rc = ioc(fd, IOMMU_OPTION, &c);
	*val = c.val64;
	return rc;
}

static void global_options(void **state)
{
	(void)state;
	struct ifd t;
	ifd_open(&t);
	uint64_t v = 1;
	assert_int_equal(option(t.fd, IOMMU_OPTION_RLIMIT_MODE, IOMMU_OPTION_OP_GET, 0, &v), 0);
	assert_int_equal(v, 0);
	v = 1;
	if (mm_capable(CAP_SYS_RESOURCE)) {
		assert_int_equal(option(t.fd, IOMMU_OPTION_RLIMIT_MODE, IOMMU_OPTION_OP_SET, 0, &v),
				 0);
		v = 2;
		assert_int_equal(option(t.fd, IOMMU_OPTION_RLIMIT_MODE, IOMMU_OPTION_OP_SET, 0, &v),
				 -EINVAL);
		assert_int_equal(option(t.fd, IOMMU_OPTION_RLIMIT_MODE, IOMMU_OPTION_OP_GET, 0, &v),
				 0);
		assert_int_equal(v, 1);
		v = 0;
		assert_int_equal(option(t.fd, IOMMU_OPTION_RLIMIT_MODE, IOMMU_OPTION_OP_SET, 0, &v),
				 0);
	}
	assert_int_equal(option(t.fd, IOMMU_OPTION_RLIMIT_MODE, IOMMU_OPTION_OP_GET, 3, &v),
			 -EOPNOTSUPP);
	assert_int_equal(option(t.fd, IOMMU_OPTION_RLIMIT_MODE, 2, 0, &v), -EOPNOTSUPP);
	assert_int_equal(option(t.fd, 7, IOMMU_OPTION_OP_GET, 0, &v), -EOPNOTSUPP);
	assert_int_equal(option(t.fd, IOMMU_OPTION_HUGE_PAGES, IOMMU_OPTION_OP_GET, 0, &v),
			 -ENOENT);
	assert_int_equal(option(t.fd, IOMMU_OPTION_HUGE_PAGES, IOMMU_OPTION_OP_SET, 0, &v),
			 -ENOENT);
	struct iommu_option r = { .size = sizeof(r), .__reserved = 1 };
	assert_int_equal(ioc(t.fd, IOMMU_OPTION, &r), -EOPNOTSUPP);
	/* Mode changes only while nothing exists. */
	uint32_t ioas;
	assert_int_equal(ioas_alloc(t.fd, &ioas), 0);
	if (mm_capable(CAP_SYS_RESOURCE)) {
		v = 1;
		assert_int_equal(option(t.fd, IOMMU_OPTION_RLIMIT_MODE, IOMMU_OPTION_OP_SET, 0, &v),
				 -EBUSY);
	}
	/* HUGE_PAGES per IOAS. */
	assert_int_equal(option(t.fd, IOMMU_OPTION_HUGE_PAGES, IOMMU_OPTION_OP_GET, ioas, &v), 0);
	assert_int_equal(v, 1);
	v = 0;
	assert_int_equal(option(t.fd, IOMMU_OPTION_HUGE_PAGES, IOMMU_OPTION_OP_SET, ioas, &v), 0);
	assert_int_equal(option(t.fd, IOMMU_OPTION_HUGE_PAGES, IOMMU_OPTION_OP_GET, ioas, &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(ioas_of(&t, ioas)->iopt.iova_alignment, 4096);
	v = 2;
	assert_int_equal(option(t.fd, IOMMU_OPTION_HUGE_PAGES, IOMMU_OPTION_OP_SET, ioas, &v),
			 -EINVAL);
	v = 1;
	assert_int_equal(option(t.fd, IOMMU_OPTION_HUGE_PAGES, IOMMU_OPTION_OP_SET, ioas, &v), 0);
	assert_int_equal(ioas_of(&t, ioas)->iopt.iova_alignment, 1);
	ifd_close(&t);
}

#define PG 4096ull
#define BASE (1ull << 24)

/* What ADD_RESERVED of the selftest does: a reservation owned by nobody. */
static int add_reserved(struct ifd *t, uint32_t ioas, uint64_t start, uint64_t len)
{
	struct io_pagetable *iopt = &ioas_of(t, ioas)->iopt;
	pthread_rwlock_wrlock(&iopt->iova_rwsem);
	int rc = iopt_reserve_iova(iopt, start, start + len - 1, NULL);
	pthread_rwlock_unlock(&iopt->iova_rwsem);
	return rc;
}

static void area(void **state)
{
	(void)state;
	struct ifd t;
	ifd_open(&t);
	uint32_t ioas;
	assert_int_equal(ioas_alloc(t.fd, &ioas), 0);
	uint8_t *buf = buf_alloc(16 * PG);
	for (int i = 0; i < 10; i++)
		assert_int_equal(ioas_unmap(t.fd, ioas, i * PG, PG, NULL), -ENOENT);
	for (int i = 0; i < 10; i++)
		assert_int_equal(ioas_map_fixed(t.fd, ioas, buf, PG, BASE + i * PG), 0);
	for (int i = 0; i < 10; i++)
		assert_int_equal(ioas_unmap(t.fd, ioas, BASE + i * PG, PG, NULL), 0);
	/* No splitting an area, no mapping over one. */
	assert_int_equal(ioas_map_fixed(t.fd, ioas, buf, 2 * PG, BASE + 16 * PG), 0);
	uint64_t before = ioas_state(&t, ioas);
	assert_int_equal(ioas_unmap(t.fd, ioas, BASE + 16 * PG, PG, NULL), -ENOENT);
	assert_int_equal(ioas_unmap(t.fd, ioas, BASE + 17 * PG, PG, NULL), -ENOENT);
	assert_int_equal(ioas_map_fixed(t.fd, ioas, buf, 2 * PG, BASE + 16 * PG), -EEXIST);
	assert_int_equal(ioas_map_fixed(t.fd, ioas, buf, PG, BASE + 16 * PG), -EEXIST);
	assert_int_equal(ioas_map_fixed(t.fd, ioas, buf, PG, BASE + 17 * PG), -EEXIST);
	assert_int_equal(ioas_map_fixed(t.fd, ioas, buf, 2 * PG, BASE + 15 * PG), -EEXIST);
	assert_int_equal(ioas_map_fixed(t.fd, ioas, buf, 3 * PG, BASE + 15 * PG), -EEXIST);
	assert_int_equal(ioas_state(&t, ioas), before);
	/* Unmap-all, also of nothing. */
	uint64_t n;
	assert_int_equal(ioas_unmap(t.fd, ioas, 0, UINT64_MAX, &n), 0);
	assert_int_equal(n, 2 * PG);
	assert_int_equal(ioas_unmap(t.fd, ioas, 0, UINT64_MAX, &n), 0);
	assert_int_equal(n, 0);
	munmap(buf, 16 * PG);
	ifd_close(&t);
}

static void map_argument_errors(void **state)
{
	(void)state;
	struct ifd t;
	ifd_open(&t);
	uint32_t ioas;
	assert_int_equal(ioas_alloc(t.fd, &ioas), 0);
	uint8_t *buf = buf_alloc(4 * PG);
	uint64_t iova = BASE, before = ioas_state(&t, ioas);
	assert_int_equal(ioas_map(t.fd, ioas, buf, PG, &iova, 1u << 3), -EOPNOTSUPP);
	struct iommu_ioas_map m = { .size = sizeof(m), .flags = MAP_RW, .ioas_id = ioas,
				    .__reserved = 1, .user_va = (uintptr_t)buf, .length = PG };
	assert_int_equal(ioc(t.fd, IOMMU_IOAS_MAP, &m), -EOPNOTSUPP);
	assert_int_equal(ioas_map(t.fd, ioas, buf, UINT64_MAX, &iova, MAP_RW), -EOVERFLOW);
	iova = UINT64_MAX;
	assert_int_equal(ioas_map(t.fd, ioas, buf, PG, &iova, MAP_RW), -EOVERFLOW);
	iova = BASE;
	assert_int_equal(ioas_map(t.fd, ioas, buf, PG, &iova, IOMMU_IOAS_MAP_FIXED_IOVA), -EINVAL);
	assert_int_equal(ioas_map(t.fd, 99, buf, PG, &iova, MAP_RW), -ENOENT);
	assert_int_equal(ioas_map(t.fd, ioas, buf, 0, &iova, MAP_RW), -EINVAL);
	/* An IOVA range that wraps. */
	assert_int_equal(ioas_map_fixed(t.fd, ioas, buf, 2 * PG, UINT64_MAX - PG), -EOVERFLOW);
	assert_int_equal(ioas_unmap(t.fd, ioas, BASE, UINT64_MAX, NULL), -EOVERFLOW);
	assert_int_equal(ioas_unmap(t.fd, ioas, BASE, 0, NULL), -EINVAL);
	assert_int_equal(ioas_state(&t, ioas), before);
	/* Without a domain nothing is pinned, so a bad address maps fine
	 * (as in Linux: pinning is lazy). */
	assert_int_equal(ioas_map_fixed(t.fd, ioas, (void *)(1ul << 31), PG, BASE), 0);
	assert_int_equal(uiommu_pinned_pages(), 0);
	/* A response that cannot be written: no mapping stays. */
	struct iommu_ioas_map *ro = mmap(NULL, PG, PROT_READ | PROT_WRITE,
					  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	*ro = (struct iommu_ioas_map){ .size = sizeof(*ro), .flags = MAP_RW, .ioas_id = ioas,
				       .user_va = (uintptr_t)buf, .length = PG };
	mprotect(ro, PG, PROT_READ);
	before = ioas_state(&t, ioas);
	assert_int_equal(ioc(t.fd, IOMMU_IOAS_MAP, ro), -EFAULT);
	assert_int_equal(ioas_state(&t, ioas), before);
	/* An unmap whose answer cannot be written unmaps nothing. */
	struct iommu_ioas_unmap *rou = (void *)ro;
	mprotect(ro, PG, PROT_READ | PROT_WRITE);
	*rou = (struct iommu_ioas_unmap){ .size = sizeof(*rou), .ioas_id = ioas, .iova = 0,
					  .length = UINT64_MAX };
	mprotect(ro, PG, PROT_READ);
	assert_int_equal(ioc(t.fd, IOMMU_IOAS_UNMAP, rou), -EFAULT);
	assert_int_equal(ioas_state(&t, ioas), before);
	munmap(ro, PG);
	munmap(buf, 4 * PG);
	ifd_close(&t);
}

static void unmap_fully_contained_areas(void **state)
{
	(void)state;
	struct ifd t;
	ifd_open(&t);
	uint32_t ioas;
	assert_int_equal(ioas_alloc(t.fd, &ioas), 0);
	uint8_t *buf = buf_alloc(8 * PG);
	uint64_t base = BASE + 4 * PG;
	for (int i = 0; i < 4; i++)
		assert_int_equal(ioas_map_fixed(t.fd, ioas, buf, 8 * PG, base + i * 16 * PG), 0);
	assert_int_equal(ioas_unmap(t.fd, ioas, base - 4 * PG, 8 * PG, NULL), -ENOENT);
	assert_int_equal(ioas_unmap(t.fd, ioas, base + 3 * 16 * PG + 4 * PG, 8 * PG, NULL),
			 -ENOENT);
	uint64_t n;
	assert_int_equal(ioas_unmap(t.fd, ioas, base - 4 * PG, 3 * 16 * PG + 12 * PG, &n), 0);
	assert_int_equal(n, 32 * PG);
	munmap(buf, 8 * PG);
	ifd_close(&t);
}

static void area_auto_iova(void **state)
{
	(void)state;
	struct ifd t;
	ifd_open(&t);
	uint32_t ioas;
	assert_int_equal(ioas_alloc(t.fd, &ioas), 0);
	uint8_t *buf = buf_alloc(16 * PG);
	uint64_t iovas[10];
	for (int i = 0; i < 10; i++) {
		iovas[i] = 0;
		assert_int_equal(ioas_map(t.fd, ioas, buf, PG, &iovas[i], MAP_RW), 0);
		assert_true(iovas[i] != 0);
	}
	for (int i = 0; i < 10; i++)
		assert_int_equal(ioas_unmap(t.fd, ioas, iovas[i], PG, NULL), 0);
	/* Aligned as the length allows. */
	for (int i = 0; i < 10; i++) {
		uint64_t len = PG * (i + 1);
		iovas[i] = 0;
		assert_int_equal(ioas_map(t.fd, ioas, (void *)(1ul << 31), len, &iovas[i], MAP_RW),
				 0);
		assert_int_equal(iovas[i] % (1ull << __builtin_ctzll(len)), 0);
	}
	for (int i = 0; i < 10; i++)
		assert_int_equal(ioas_unmap(t.fd, ioas, iovas[i], PG * (i + 1), NULL), 0);
	/* Around a reserved range. */
	assert_int_equal(add_reserved(&t, ioas, 4 * PG, 100 * PG), 0);
	for (int i = 0; i < 10; i++) {
		uint64_t len = PG * (i + 1);
		iovas[i] = 0;
		assert_int_equal(ioas_map(t.fd, ioas, buf, len, &iovas[i], MAP_RW), 0);
		assert_false(iovas[i] > 4 * PG && iovas[i] < 104 * PG);
	}
	for (int i = 0; i < 10; i++)
		assert_int_equal(ioas_unmap(t.fd, ioas, iovas[i], PG * (i + 1), NULL), 0);
	/* Allowed ranges meeting a reserved one are refused; inside one
	 * that does not, every IOVA lands in it. */
	struct iommu_iova_range r = { .start = PG, .last = 600 * PG };
	uint64_t before = ioas_state(&t, ioas);
	assert_int_equal(ioas_allow(t.fd, ioas, &r, 1), -EADDRINUSE);
	assert_int_equal(ioas_state(&t, ioas), before);
	r = (struct iommu_iova_range){ .start = 200 * PG, .last = 600 * PG - 1 };
	assert_int_equal(ioas_allow(t.fd, ioas, &r, 1), 0);
	for (int i = 0; i < 10; i++) {
		uint64_t len = PG * (i + 1);
		iovas[i] = 0;
		assert_int_equal(ioas_map(t.fd, ioas, buf, len, &iovas[i], MAP_RW), 0);
		assert_true(iovas[i] >= r.start && iovas[i] + len <= r.last + 1);
	}
	munmap(buf, 16 * PG);
	ifd_close(&t);
}

static void reserved_overflow(void **state)
{
	(void)state;
	struct ifd t;
	ifd_open(&t);
	uint32_t ioas;
	assert_int_equal(ioas_alloc(t.fd, &ioas), 0);
	assert_int_equal(add_reserved(&t, ioas, 6, 0xffffffffffff8001ull), 0);
	/* A huge-page aligned address asks for 32 KiB alignment, which the
	 * hole at the top cannot give without wrapping. */
	uint64_t iova = 0;
	assert_int_equal(ioas_map(t.fd, ioas, (void *)(1ul << 31), 0x5000, &iova, MAP_RW),
			 -ENOSPC);
	ifd_close(&t);
}

static void area_allowed(void **state)
{
	(void)state;
	struct ifd t;
	ifd_open(&t);
	uint32_t ioas;
	assert_int_equal(ioas_alloc(t.fd, &ioas), 0);
	struct iommu_iova_range r = { .start = BASE, .last = BASE + 600 * PG };
	assert_int_equal(ioas_allow(t.fd, ioas, &r, 1), 0);
	assert_int_equal(add_reserved(&t, ioas, BASE + PG, PG), -EADDRINUSE);
	assert_int_equal(ioas_allow(t.fd, ioas, NULL, 0), 0);
	assert_int_equal(add_reserved(&t, ioas, BASE + PG, PG), 0);
	assert_int_equal(ioas_allow(t.fd, ioas, &r, 1), -EADDRINUSE);
	/* Bad lists: an empty range, overlapping ranges, unreadable. */
	struct iommu_iova_range bad[2] = { { .start = 5, .last = 5 } };
	assert_int_equal(ioas_allow(t.fd, ioas, bad, 1), -EINVAL);
	bad[0] = (struct iommu_iova_range){ .start = 1 << 30, .last = (1 << 30) + 100 };
	bad[1] = (struct iommu_iova_range){ .start = (1 << 30) + 50, .last = (1 << 30) + 200 };
	assert_int_equal(ioas_allow(t.fd, ioas, bad, 2), -EINVAL);
	assert_int_equal(ioas_allow(t.fd, ioas, (void *)8, 1), -EFAULT);
	struct iommu_ioas_allow_iovas c = { .size = sizeof(c), .ioas_id = ioas, .__reserved = 1 };
	assert_int_equal(ioc(t.fd, IOMMU_IOAS_ALLOW_IOVAS, &c), -EOPNOTSUPP);
	ifd_close(&t);
}

static void copy_area(void **state)
{
	(void)state;
	struct ifd t;
	ifd_open(&t);
	uint32_t ioas, dst;
	assert_int_equal(ioas_alloc(t.fd, &ioas), 0);
	uint8_t *buf = buf_alloc(4 * PG);
	assert_int_equal(ioas_map_fixed(t.fd, ioas, buf, PG, BASE), 0);
	uint64_t iova = BASE + PG;
	uint32_t f = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_WRITEABLE;
	assert_int_equal(ioas_copy(t.fd, ioas, ioas, BASE, PG, &iova, f), 0);
	assert_int_equal(ioas_alloc(t.fd, &dst), 0);
	iova = 0;
	assert_int_equal(ioas_copy(t.fd, dst, ioas, BASE, PG, &iova, f), 0);
	/* The copy shares the source's pages. */
	struct iopt_area *a = iopt_area_iter_first(&ioas_of(&t, ioas)->iopt, BASE, BASE);
	struct iopt_area *b = iopt_area_iter_first(&ioas_of(&t, dst)->iopt, 0, 0);
	assert_non_null(a);
	assert_non_null(b);
	assert_ptr_equal(a->pages, b->pages);
	/* Errors, none changing the destination. */
	uint64_t before = ioas_state(&t, dst);
	iova = 8 * PG;
	assert_int_equal(ioas_copy(t.fd, dst, ioas, BASE + 4 * PG, PG, &iova, f), -ENOENT);
	assert_int_equal(ioas_copy(t.fd, dst, ioas, BASE, 2 * PG, &iova, f), 0);
	assert_int_equal(ioas_unmap(t.fd, dst, 8 * PG, 2 * PG, NULL), 0);
	assert_int_equal(ioas_copy(t.fd, dst, ioas, BASE, 3 * PG, &iova, f), -ENOENT);
	assert_int_equal(ioas_copy(t.fd, dst, ioas, BASE, PG, &iova, 1u << 5), -EOPNOTSUPP);
	assert_int_equal(ioas_copy(t.fd, dst, ioas, BASE, PG, &iova, IOMMU_IOAS_MAP_FIXED_IOVA),
			 -EINVAL);
	assert_int_equal(ioas_copy(t.fd, 99, ioas, BASE, PG, &iova, f), -ENOENT);
	assert_int_equal(ioas_copy(t.fd, dst, 99, BASE, PG, &iova, f), -ENOENT);
	iova = 0;
	assert_int_equal(ioas_copy(t.fd, dst, ioas, BASE, PG, &iova, f), -EEXIST);
	/* Writable copies of a read-only mapping are refused. */
	uint64_t ro = BASE + 64 * PG;
	assert_int_equal(ioas_map(t.fd, ioas, buf, PG, &ro,
				  IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_FIXED_IOVA),
			 0);
	iova = 32 * PG;
	assert_int_equal(ioas_copy(t.fd, dst, ioas, ro, PG, &iova, f), -EPERM);
	assert_int_equal(ioas_state(&t, dst), before);
	/* The source may go; the copy keeps the pages. */
	assert_int_equal(obj_destroy(t.fd, ioas), 0);
	assert_int_equal(ioas_unmap(t.fd, dst, 0, PG, NULL), 0);
	munmap(buf, 4 * PG);
	ifd_close(&t);
}

static int iova_ranges(int fd, uint32_t ioas, struct iommu_iova_range *r, uint32_t *n,
		       uint64_t *align)
{
	struct iommu_ioas_iova_ranges c = { .size = sizeof(c), .ioas_id = ioas, .num_iovas = *n,
					    .allowed_iovas = (uintptr_t)r };
	int rc = ioc(fd, IOMMU_IOAS_IOVA_RANGES, &c);
	*n = c.num_iovas;
	if (align)
		*align = c.out_iova_alignment;
	return rc;
}

static void iova_ranges_two_call(void **state)
{
	(void)state;
	struct ifd t;
	ifd_open(&t);
	uint32_t ioas;
	assert_int_equal(ioas_alloc(t.fd, &ioas), 0);
	struct iommu_iova_range r[4];
	memset(r, 0, sizeof(r));
	uint32_t n = 4;
	uint64_t align;
	assert_int_equal(iova_ranges(t.fd, ioas, r, &n, &align), 0);
	assert_int_equal(n, 1);
	assert_int_equal(r[0].start, 0);
	assert_int_equal(r[0].last, UINT64_MAX);
	assert_int_equal(align, 1);
	memset(r, 0, sizeof(r));
	n = 0;
	assert_int_equal(iova_ranges(t.fd, ioas, r, &n, NULL), -EMSGSIZE);
	assert_int_equal(n, 1);
	assert_int_equal(r[0].last, 0);
	assert_int_equal(add_reserved(&t, ioas, PG, PG), 0);
	n = 4;
	assert_int_equal(iova_ranges(t.fd, ioas, r, &n, NULL), 0);
	assert_int_equal(n, 2);
	assert_int_equal(r[0].start, 0);
	assert_int_equal(r[0].last, PG - 1);
	assert_int_equal(r[1].start, 2 * PG);
	assert_int_equal(r[1].last, UINT64_MAX);
	memset(r, 0, sizeof(r));
	n = 1;
	assert_int_equal(iova_ranges(t.fd, ioas, r, &n, NULL), -EMSGSIZE);
	assert_int_equal(n, 2);
	assert_int_equal(r[0].last, PG - 1);
	assert_int_equal(r[1].last, 0);
	n = 4;
	assert_int_equal(iova_ranges(t.fd, ioas, (void *)8, &n, NULL), -EFAULT);
	struct iommu_ioas_iova_ranges c = { .size = sizeof(c), .ioas_id = ioas, .__reserved = 1 };
	assert_int_equal(ioc(t.fd, IOMMU_IOAS_IOVA_RANGES, &c), -EOPNOTSUPP);
	ifd_close(&t);
}

static void map_file(void **state)
{
	(void)state;
	struct ifd t;
	ifd_open(&t);
	uint32_t ioas;
	assert_int_equal(ioas_alloc(t.fd, &ioas), 0);
	int mfd = memfd_create("ioas", 0);
	assert_true(mfd >= 0);
	assert_int_equal(ftruncate(mfd, 16 * PG), 0);
	uint64_t iova = 0;
	assert_int_equal(ioas_map_file(t.fd, ioas, mfd, 0, 16 * PG, &iova, MAP_RW), 0);
	assert_true(iova != 0);
	uint64_t before = ioas_state(&t, ioas);
	uint64_t i2 = 0;
	assert_int_equal(ioas_map_file(t.fd, ioas, mfd, 0, 16 * PG + 1, &i2, MAP_RW), -EINVAL);
	assert_int_equal(ioas_map_file(t.fd, ioas, mfd, 16 * PG, 16 * PG, &i2, MAP_RW), -EINVAL);
	assert_int_equal(ioas_map_file(t.fd, ioas, 12345, 0, PG, &i2, MAP_RW), -EBADF);
	/* Not a memory file: a pipe, the /dev/iommu descriptor itself. */
	int p[2];
	assert_int_equal(pipe(p), 0);
	assert_int_equal(ioas_map_file(t.fd, ioas, p[0], 0, PG, &i2, MAP_RW), -EINVAL);
	assert_int_equal(ioas_map_file(t.fd, ioas, t.fd, 0, PG, &i2, MAP_RW), -EINVAL);
	close(p[0]);
	close(p[1]);
	assert_int_equal(ioas_map_file(t.fd, ioas, mfd, 0, PG, &i2, 1u << 4), -EOPNOTSUPP);
	assert_int_equal(ioas_map_file(t.fd, ioas, mfd, 0, PG, &i2, 0), -EINVAL);
	assert_int_equal(ioas_map_file(t.fd, ioas, mfd, 0, UINT64_MAX, &i2, MAP_RW), -EOVERFLOW);
	assert_int_equal(ioas_map_file(t.fd, ioas, mfd, 0, 0, &i2, MAP_RW), -EINVAL);
	assert_int_equal(ioas_state(&t, ioas), before);
	/* A file truncated to nothing. */
	int tmp = memfd_create("tmp", 0);
	assert_int_equal(ioas_map_file(t.fd, ioas, tmp, 0, PG, &i2, MAP_RW), -EINVAL);
	close(tmp);
	close(mfd);
	ifd_close(&t);
}

static void change_process(void **state)
{
	(void)state;
	struct ifd t;
	ifd_open(&t);
	uint32_t ioas;
	assert_int_equal(ioas_alloc(t.fd, &ioas), 0);
	struct iommu_ioas_change_process c = { .size = sizeof(c) };
	assert_int_equal(ioc(t.fd, IOMMU_IOAS_CHANGE_PROCESS, &c), 0);
	uint8_t *buf = buf_alloc(PG);
	uint64_t iova = 0;
	assert_int_equal(ioas_map(t.fd, ioas, buf, PG, &iova, MAP_RW), 0);
	assert_int_equal(ioc(t.fd, IOMMU_IOAS_CHANGE_PROCESS, &c), -EINVAL);
	assert_int_equal(ioas_unmap(t.fd, ioas, iova, PG, NULL), 0);
	int mfd = memfd_create("cp", 0);
	assert_int_equal(ftruncate(mfd, PG), 0);
	iova = 0;
	assert_int_equal(ioas_map_file(t.fd, ioas, mfd, 0, PG, &iova, MAP_RW), 0);
	assert_int_equal(ioc(t.fd, IOMMU_IOAS_CHANGE_PROCESS, &c), 0);
	c.__reserved = 1;
	assert_int_equal(ioc(t.fd, IOMMU_IOAS_CHANGE_PROCESS, &c), -EOPNOTSUPP);
	close(mfd);
	munmap(buf, PG);
	ifd_close(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(node_and_simple_close),
		cmocka_unit_test(cmd_fail),
		cmocka_unit_test(cmd_length),
		cmocka_unit_test(cmd_ex_fail),
		cmocka_unit_test(object_ids),
		cmocka_unit_test(global_options),
		cmocka_unit_test(area),
		cmocka_unit_test(map_argument_errors),
		cmocka_unit_test(unmap_fully_contained_areas),
		cmocka_unit_test(area_auto_iova),
		cmocka_unit_test(reserved_overflow),
		cmocka_unit_test(area_allowed),
		cmocka_unit_test(copy_area),
		cmocka_unit_test(iova_ranges_two_call),
		cmocka_unit_test(map_file),
		cmocka_unit_test(change_process),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
