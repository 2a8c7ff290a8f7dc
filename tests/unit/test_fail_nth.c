/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The allocation-failure sweep (SPEC R-2, issue #12): every iommufd ioctl
 * path and every VFIO path, with the thread's fail-nth set to 1, 2, ...
 * (util/fault_inject.h, Linux's /proc/self/task/<tid>/fail-nth) until a
 * call runs without an injected failure. Each injected failure must
 *   - fail the call with -ENOMEM (the errno documented for it), or be
 *     absorbed - the call succeeds and is undone;
 *   - leave the state exactly as before: the objects of the context
 *     (ID, type, users), every IOAS's areas and ranges, the host's open
 *     files, the IOMMU table pages, type1's mappings, the process-wide
 *     pin count;
 *   - leak nothing: LeakSanitizer looks after each call's sweep.
 * The last, uninjected run must succeed and builds the state the next
 * call starts from, so the calls follow a real program's life: open,
 * IOAS, maps, devices, HWPTs, vIOMMU, queues, accesses, PASIDs, close.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/vfio.h>
#include <uiommu/hw/pci_regs.h>
#include <uiommu/iommufd_ext.h>
#include <uiommu/mdev.h>

/* Both helper headers have an hwpt_alloc; the selftest one is used here. */
#define hwpt_alloc cdev_hwpt_alloc
#include "cdev_utils.h"
#undef hwpt_alloc
#include "selftest_utils.h"
#include "vfio_utils.h"
#include "files/files_host.h"
#include "hw/machine.h"
#include "iommu/group.h"
#include "iommu/intel/intel.h"
#include "iommu/pgtable/io_pgtable.h"
#include "util/fault_inject.h"
#include "util/slab.h"

/* LeakSanitizer's recoverable check, when linked with it. */
int __lsan_do_recoverable_leak_check(void) __attribute__((weak));

#define BUF_SIZE (2u << 20)

struct sweep {
	struct ifd t;
	int cfd, gfd, dfd;         /* VFIO container, group, device (or cdev) */
	bool type1;                /* cfd has a backend: fingerprint its GET_INFO */
	uint8_t *buf;
	int mfd;
	uint32_t ioas, ioas2, stdev, stdev2, idev, hwpt, hwpt_pasid, parent, viommu, vdev,
		hw_queue, fault, fault_fd, nested, veventq, veventq_fd, access_fd, access,
		access_pages, nest_ioas;
	uint64_t iova, iova_file, iova_copy;
	unsigned points, steps;
};

static uint64_t mix(uint64_t h, uint64_t v)
{
	return (h ^ v) * 1099511628211ull;
}

static unsigned host_files(struct uiommu_host *h)
{
	unsigned n = 0;
	struct file *f;
	pthread_mutex_lock(&h->files->lock);
	list_for_each_entry(f, &h->files->files, host_node)
		n++;
	pthread_mutex_unlock(&h->files->lock);
	return n;
}

/* Everything a failing call must leave as it was, in parts so that a
 * failure can say which changed. */
struct print {
	uint64_t pins, table_pages, files, objects, type1;
};

static uint64_t fingerprint_parts(struct sweep *s, struct print *p)
{
	uint64_t h = 1469598103934665603ull;
	p->pins = uiommu_pinned_pages();
	/* Table pages in tables: the driver's stash of free ones is a cache. */
	p->table_pages = atomic_load(&s->t.h->m->mem.table_pages);
	if (s->t.h->intel)
		p->table_pages -= pt_pool_stashed(s->t.h->intel->pool);
	p->files = host_files(s->t.h);
	if (s->t.ictx && s->t.fd >= 0) {
		uint64_t idx;
		struct iommufd_object *o;
		uint32_t ioas[16];
		unsigned nioas = 0;
		pthread_mutex_lock(&s->t.ictx->obj_lock);
		xa_for_each(&s->t.ictx->objects, idx, o) {
			if (o == XA_ZERO_ENTRY)
				continue;
			h = mix(h, o->id);
			h = mix(h, o->type);
			h = mix(h, (uint64_t)atomic_load(&o->users));
			if (o->type == IOMMUFD_OBJ_IOAS && nioas < 16)
				ioas[nioas++] = o->id;
		}
		pthread_mutex_unlock(&s->t.ictx->obj_lock);
		for (unsigned i = 0; i < nioas; i++)
			h = mix(h, ioas_state(&s->t, ioas[i]));
	}
	p->objects = h;
	h = 1469598103934665603ull;
	if (s->type1) {
		/* type1: mappings left and the usable ranges, as GET_INFO says. */
		uint8_t info[512] = { 0 };
		struct vfio_iommu_type1_info *i = (void *)info;
		i->argsz = sizeof(info);
		if (!uiommu_ioctl(s->cfd, VFIO_IOMMU_GET_INFO, (unsigned long)i))
			for (unsigned k = 0; k < sizeof(info); k += 8)
				h = mix(h, *(uint64_t *)(info + k));
	}
	p->type1 = h;
	return mix(mix(mix(mix(p->pins, p->table_pages), p->files), p->objects), p->type1);
}



typedef int (*step_fn)(struct sweep *s);

/* Sweep one call; `undo` takes back a run whose injected failure was
 * absorbed. Without one, a call that succeeds despite a failure (a
 * teardown, which cannot fail) ends its sweep there. */
static void sweep(struct sweep *s, const char *name, step_fn run, step_fn undo)
{
	struct print pb, pa;
	uint64_t before = fingerprint_parts(s, &pb);
	unsigned n;
	for (n = getenv("UIOMMU_FAIL_NTH_OFF") ? 100000 : 1;; n++) {
		if (n > 4000 && n < 100000)
			fail_msg("%s: more than 4000 fault points", name);
		fail_nth_write(n);
		int rc = run(s);
		bool injected = fail_nth_read() == 0;
		fail_nth_write(0);
		if (!injected) {
			if (rc < 0)
				fail_msg("%s: %d (%s) with nothing injected", name, rc, strerror(-rc));
			break;
		}
		if (rc >= 0 && !undo) {
			/* A call that cannot fail (a close) finished all the
			 * same: what it left is for the leak check below. */
			print_message("  %-28s absorbs failure %u\n", name, n);
			n = 1;
			break;
		}
		if (rc >= 0) {
			if (undo(s) < 0)
				fail_msg("%s: undo after absorbed failure %u", name, n);
		} else if (rc != -ENOMEM) {
			fail_msg("%s: failure %u gives %d (%s), not -ENOMEM", name, n, rc,
				 strerror(-rc));
		}
		if (getenv("UIOMMU_FAIL_NTH_LSAN_EACH") && __lsan_do_recoverable_leak_check &&
		    __lsan_do_recoverable_leak_check())
			fail_msg("%s: failure %u leaks", name, n);
		if (fingerprint_parts(s, &pa) != before)
			fail_msg("%s: failure %u (rc %d) changed the state: pins %lu -> %lu, "
				 "table pages %lu -> %lu, files %lu -> %lu, objects %s, type1 %s",
				 name, n, rc, pb.pins, pa.pins, pb.table_pages, pa.table_pages,
				 pb.files, pa.files, pb.objects == pa.objects ? "same" : "changed",
				 pb.type1 == pa.type1 ? "same" : "changed");
	}
	if (__lsan_do_recoverable_leak_check && __lsan_do_recoverable_leak_check())
		fail_msg("%s: leaks after the sweep", name);
	s->points += n - 1;
	s->steps++;
	print_message("  %-28s %4u fault points\n", name, n - 1);
}

static void sweep_init(struct sweep *s, struct uiommu_host *h)
{
	memset(s, 0, sizeof(*s));
	s->t.h = h;
	s->t.fd = -1;
	s->cfd = s->gfd = s->dfd = s->mfd = -1;
	s->buf = buf_alloc(BUF_SIZE);
	/* Every allocation a fault point, quietly (Linux's test sets the same). */
	atomic_store(&failslab.ignore_gfp_wait, false);
	atomic_store(&fail_page_alloc.ignore_gfp_wait, false);
	/* UIOMMU_FAIL_NTH_VERBOSE=2: a backtrace of every injected failure. */
	const char *v = getenv("UIOMMU_FAIL_NTH_VERBOSE");
	atomic_store(&failslab.verbose, v ? strtoul(v, NULL, 0) : 0);
	atomic_store(&fail_page_alloc.verbose, v ? strtoul(v, NULL, 0) : 0);
}

static void sweep_fini(struct sweep *s)
{
	print_message("  %u calls, %u fault points, each failing cleanly\n", s->steps, s->points);
	munmap(s->buf, BUF_SIZE);
	if (s->mfd >= 0)
		close(s->mfd);
	atomic_store(&failslab.ignore_gfp_wait, true);
	atomic_store(&fail_page_alloc.ignore_gfp_wait, true);
	ifd_close(&s->t);
}

/* ---- iommufd, on a selftest host (the mock driver, as Linux's sweep) ---- */

static int open_iommufd(struct sweep *s)
{
	int fd = uiommu_open(s->t.h, "/dev/iommu", O_RDWR);
	if (fd < 0)
		return fd;
	int err;
	s->t.fd = fd;
	s->t.ictx = iommufd_ctx_from_fd(fd, &err);
	iommufd_ctx_put(s->t.ictx);
	return 0;
}

static int close_iommufd(struct sweep *s)
{
	int rc = uiommu_close(s->t.fd);
	s->t.fd = -1;
	s->t.ictx = NULL;
	return rc;
}

static int destroy(struct sweep *s, uint32_t id)
{
	return obj_destroy(s->t.fd, id);
}

static int do_ioas_alloc(struct sweep *s)
{
	return ioas_alloc(s->t.fd, s->ioas ? &s->ioas2 : &s->ioas);
}

static int undo_ioas_alloc(struct sweep *s)
{
	return destroy(s, s->ioas2 ? s->ioas2 : s->ioas);
}

static int do_option(struct sweep *s)
{
	struct iommu_option o = { .size = sizeof(o), .option_id = IOMMU_OPTION_HUGE_PAGES,
				  .op = IOMMU_OPTION_OP_SET, .object_id = s->ioas2, .val64 = 0 };
	return ioc(s->t.fd, IOMMU_OPTION, &o);
}

static int undo_option(struct sweep *s)
{
	struct iommu_option o = { .size = sizeof(o), .option_id = IOMMU_OPTION_HUGE_PAGES,
				  .op = IOMMU_OPTION_OP_SET, .object_id = s->ioas2, .val64 = 1 };
	return ioc(s->t.fd, IOMMU_OPTION, &o);
}

static int do_iova_ranges(struct sweep *s)
{
	struct iommu_iova_range r[8];
	struct iommu_ioas_iova_ranges c = { .size = sizeof(c), .ioas_id = s->ioas,
					    .num_iovas = 8, .allowed_iovas = (uintptr_t)r };
	return ioc(s->t.fd, IOMMU_IOAS_IOVA_RANGES, &c);
}

static int do_allow(struct sweep *s)
{
	struct iommu_iova_range r = { .start = 1ull << 20, .last = (1ull << 40) - 1 };
	return ioas_allow(s->t.fd, s->ioas2, &r, 1);
}

static int undo_allow(struct sweep *s)
{
	return ioas_allow(s->t.fd, s->ioas2, NULL, 0);
}

static int do_map(struct sweep *s)
{
	s->iova = 0;
	return ioas_map(s->t.fd, s->ioas, s->buf, BUF_SIZE, &s->iova, MAP_RW);
}

static int undo_map(struct sweep *s)
{
	return ioas_unmap(s->t.fd, s->ioas, s->iova, BUF_SIZE, NULL);
}

static int do_map_file(struct sweep *s)
{
	s->iova_file = 0;
	return ioas_map_file(s->t.fd, s->ioas, s->mfd, 0, 262144, &s->iova_file, MAP_RW);
}

static int undo_map_file(struct sweep *s)
{
	return ioas_unmap(s->t.fd, s->ioas, s->iova_file, 262144, NULL);
}

static int do_copy(struct sweep *s)
{
	s->iova_copy = 0;
	return ioas_copy(s->t.fd, s->ioas2, s->ioas, s->iova, 65536, &s->iova_copy, MAP_RW);
}

static int undo_copy(struct sweep *s)
{
	return ioas_unmap(s->t.fd, s->ioas2, s->iova_copy, 65536, NULL);
}

static int do_unmap_copy(struct sweep *s)
{
	return ioas_unmap(s->t.fd, s->ioas2, s->iova_copy, 65536, NULL);
}

static int undo_unmap_copy(struct sweep *s)
{
	return ioas_copy(s->t.fd, s->ioas2, s->ioas, s->iova, 65536, &s->iova_copy,
			 MAP_RW | IOMMU_IOAS_MAP_FIXED_IOVA);
}

static int do_mock_domain(struct sweep *s)
{
	return mock_domain(s->t.fd, s->ioas, MOCK_FLAGS_DEVICE_PASID, &s->stdev, &s->hwpt,
			   &s->idev);
}

static int undo_mock_domain(struct sweep *s)
{
	return destroy(s, s->stdev);
}

static int do_mock_domain2(struct sweep *s)
{
	return mock_domain(s->t.fd, s->ioas, 0, &s->stdev2, NULL, NULL);
}

static int undo_mock_domain2(struct sweep *s)
{
	return destroy(s, s->stdev2);
}

static int do_map_domain(struct sweep *s)
{
	uint64_t iova = MOCK_APERTURE_START + (64u << 20);
	int rc = ioas_map(s->t.fd, s->ioas, s->buf, 262144, &iova,
			  MAP_RW | IOMMU_IOAS_MAP_FIXED_IOVA);
	return rc;
}

static int undo_map_domain(struct sweep *s)
{
	return ioas_unmap(s->t.fd, s->ioas, MOCK_APERTURE_START + (64u << 20), 262144, NULL);
}

static int do_hw_info(struct sweep *s)
{
	struct iommu_test_hw_info info;
	struct iommu_hw_info c = { .size = sizeof(c), .dev_id = s->idev,
				   .data_len = sizeof(info), .data_uptr = (uintptr_t)&info };
	return ioc(s->t.fd, IOMMU_GET_HW_INFO, &c);
}

static int do_hwpt_pasid(struct sweep *s)
{
	return hwpt_alloc(s->t.fd, s->idev, s->ioas,
			  IOMMU_HWPT_ALLOC_PASID | IOMMU_HWPT_ALLOC_DIRTY_TRACKING,
			  IOMMU_HWPT_DATA_NONE, NULL, 0, &s->hwpt_pasid);
}

static int undo_hwpt_pasid(struct sweep *s)
{
	return destroy(s, s->hwpt_pasid);
}

static int do_replace(struct sweep *s)
{
	uint32_t pt = s->hwpt_pasid;
	return mock_replace(s->t.fd, s->stdev, &pt);
}

static int undo_replace(struct sweep *s)
{
	uint32_t pt = s->ioas;
	return mock_replace(s->t.fd, s->stdev, &pt);
}

static int do_parent(struct sweep *s)
{
	return hwpt_alloc(s->t.fd, s->idev, s->ioas,
			  IOMMU_HWPT_ALLOC_NEST_PARENT | IOMMU_HWPT_ALLOC_PASID,
			  IOMMU_HWPT_DATA_NONE, NULL, 0, &s->parent);
}

static int undo_parent(struct sweep *s)
{
	return destroy(s, s->parent);
}

static int do_viommu(struct sweep *s)
{
	struct iommu_viommu_alloc c = { .size = sizeof(c), .type = IOMMU_VIOMMU_TYPE_SELFTEST,
					.dev_id = s->idev, .hwpt_id = s->parent };
	int rc = ioc(s->t.fd, IOMMU_VIOMMU_ALLOC, &c);
	s->viommu = rc ? 0 : c.out_viommu_id;
	return rc;
}

static int undo_viommu(struct sweep *s)
{
	return destroy(s, s->viommu);
}

static int do_vdevice(struct sweep *s)
{
	struct iommu_vdevice_alloc c = { .size = sizeof(c), .viommu_id = s->viommu,
					 .dev_id = s->idev, .virt_id = 0x99 };
	int rc = ioc(s->t.fd, IOMMU_VDEVICE_ALLOC, &c);
	s->vdev = rc ? 0 : c.out_vdevice_id;
	return rc;
}

static int undo_vdevice(struct sweep *s)
{
	return destroy(s, s->vdev);
}

static int do_hw_queue(struct sweep *s)
{
	struct iommu_hw_queue_alloc c = { .size = sizeof(c), .viommu_id = s->viommu,
					  .type = IOMMU_HW_QUEUE_TYPE_SELFTEST, .index = 0,
					  .nesting_parent_iova = s->iova, .length = 4096 };
	int rc = ioc(s->t.fd, IOMMU_HW_QUEUE_ALLOC, &c);
	s->hw_queue = rc ? 0 : c.out_hw_queue_id;
	return rc;
}

static int undo_hw_queue(struct sweep *s)
{
	return destroy(s, s->hw_queue);
}

static int do_fault(struct sweep *s)
{
	struct iommu_fault_alloc c = { .size = sizeof(c) };
	int rc = ioc(s->t.fd, IOMMU_FAULT_QUEUE_ALLOC, &c);
	s->fault = rc ? 0 : c.out_fault_id;
	s->fault_fd = rc ? 0 : c.out_fault_fd;
	return rc;
}

static int undo_fault(struct sweep *s)
{
	return uiommu_close((int)s->fault_fd);
}

static int do_nested(struct sweep *s)
{
	struct iommu_hwpt_selftest data = { .iotlb = IOMMU_TEST_IOTLB_DEFAULT };
	struct iommu_hwpt_alloc c = { .size = sizeof(c), .flags = IOMMU_HWPT_FAULT_ID_VALID,
				      .dev_id = s->idev, .pt_id = s->parent,
				      .data_type = IOMMU_HWPT_DATA_SELFTEST,
				      .data_len = sizeof(data), .data_uptr = (uintptr_t)&data,
				      .fault_id = s->fault };
	int rc = ioc(s->t.fd, IOMMU_HWPT_ALLOC, &c);
	s->nested = rc ? 0 : c.out_hwpt_id;
	return rc;
}

static int undo_nested(struct sweep *s)
{
	return destroy(s, s->nested);
}

static int do_invalidate(struct sweep *s)
{
	struct iommu_hwpt_invalidate_selftest e = { .flags = IOMMU_TEST_INVALIDATE_FLAG_ALL };
	return hwpt_invalidate(s->t.fd, s->nested, IOMMU_HWPT_INVALIDATE_DATA_SELFTEST, &e,
			       sizeof(e), 1, NULL);
}

static int do_veventq(struct sweep *s)
{
	struct iommu_veventq_alloc c = { .size = sizeof(c), .viommu_id = s->viommu,
					 .type = IOMMU_VEVENTQ_TYPE_SELFTEST, .veventq_depth = 2 };
	int rc = ioc(s->t.fd, IOMMU_VEVENTQ_ALLOC, &c);
	s->veventq = rc ? 0 : c.out_veventq_id;
	s->veventq_fd = rc ? 0 : c.out_veventq_fd;
	return rc;
}

static int undo_veventq(struct sweep *s)
{
	return uiommu_close((int)s->veventq_fd);
}

static int do_dirty_on(struct sweep *s)
{
	return set_dirty_tracking(s->t.fd, s->hwpt_pasid, true);
}

static int undo_dirty_on(struct sweep *s)
{
	return set_dirty_tracking(s->t.fd, s->hwpt_pasid, false);
}

static int do_dirty_bitmap(struct sweep *s)
{
	uint64_t bitmap[8] = { 0 };
	return get_dirty(s->t.fd, s->hwpt_pasid, s->iova, 256 * 4096, 4096, bitmap, 0);
}

static int pasid_cmd(struct sweep *s, uint32_t op, uint32_t pt)
{
	struct iommu_test_cmd c = { .op = op, .id = s->stdev,
				    .pasid_attach = { .pasid = 200, .pt_id = pt } };
	return test_cmd(s->t.fd, &c);
}

static int do_pasid_attach(struct sweep *s)
{
	return pasid_cmd(s, IOMMU_TEST_OP_PASID_ATTACH, s->hwpt_pasid);
}

static int undo_pasid_attach(struct sweep *s)
{
	return pasid_cmd(s, IOMMU_TEST_OP_PASID_DETACH, 0);
}

static int do_pasid_replace(struct sweep *s)
{
	return pasid_cmd(s, IOMMU_TEST_OP_PASID_REPLACE, s->parent);
}

static int undo_pasid_replace(struct sweep *s)
{
	return pasid_cmd(s, IOMMU_TEST_OP_PASID_REPLACE, s->hwpt_pasid);
}

static int do_pasid_detach(struct sweep *s)
{
	return pasid_cmd(s, IOMMU_TEST_OP_PASID_DETACH, 0);
}

static int undo_pasid_detach(struct sweep *s)
{
	return pasid_cmd(s, IOMMU_TEST_OP_PASID_ATTACH, s->parent);
}

static int do_access(struct sweep *s)
{
	struct iommu_test_cmd c = { .op = IOMMU_TEST_OP_CREATE_ACCESS, .id = s->ioas,
				    .create_access = {
					.flags = MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES } };
	int rc = test_cmd(s->t.fd, &c);
	s->access_fd = rc ? 0 : c.create_access.out_access_fd;
	return rc;
}

static int undo_access(struct sweep *s)
{
	return uiommu_close((int)s->access_fd);
}

static int do_access_pages(struct sweep *s)
{
	struct iommu_test_cmd c = { .op = IOMMU_TEST_OP_ACCESS_PAGES, .id = s->access_fd,
				    .access_pages = { .iova = s->iova, .length = BUF_SIZE,
						      .uptr = (uintptr_t)s->buf } };
	int rc = test_cmd(s->t.fd, &c);
	s->access_pages = rc ? 0 : c.access_pages.out_access_pages_id;
	return rc;
}

static int undo_access_pages(struct sweep *s)
{
	struct iommu_test_cmd c = { .op = IOMMU_TEST_OP_DESTROY_ACCESS_PAGES, .id = s->access_fd,
				    .destroy_access_pages = { .access_pages_id = s->access_pages } };
	return test_cmd(s->t.fd, &c);
}

static int do_access_rw(struct sweep *s)
{
	static uint8_t tmp[16384];
	struct iommu_test_cmd c = { .op = IOMMU_TEST_OP_ACCESS_RW, .id = s->access_fd,
				    .access_rw = { .iova = s->iova + 100, .length = sizeof(tmp),
						   .uptr = (uintptr_t)tmp,
						   .flags = MOCK_ACCESS_RW_SLOW_PATH } };
	int rc = test_cmd(s->t.fd, &c);
	c.access_rw.flags |= MOCK_ACCESS_RW_WRITE;
	return rc ? rc : test_cmd(s->t.fd, &c);
}

static int do_change_process(struct sweep *s)
{
	struct iommu_ioas_change_process c = { .size = sizeof(c) };
	return ioc(s->t.fd, IOMMU_IOAS_CHANGE_PROCESS, &c);
}

static int do_vfio_ioas(struct sweep *s)
{
	struct iommu_vfio_ioas c = { .size = sizeof(c), .ioas_id = s->ioas2,
				     .op = IOMMU_VFIO_IOAS_SET };
	return ioc(s->t.fd, IOMMU_VFIO_IOAS, &c);
}

static int undo_vfio_ioas(struct sweep *s)
{
	struct iommu_vfio_ioas c = { .size = sizeof(c), .op = IOMMU_VFIO_IOAS_CLEAR };
	return ioc(s->t.fd, IOMMU_VFIO_IOAS, &c);
}

static int compat_map(struct sweep *s, unsigned long cmd)
{
	struct vfio_iommu_type1_dma_map m = { .argsz = sizeof(m), .iova = 1ull << 32,
					      .vaddr = (uintptr_t)s->buf, .size = 65536,
					      .flags = VFIO_DMA_MAP_FLAG_READ |
						       VFIO_DMA_MAP_FLAG_WRITE };
	struct vfio_iommu_type1_dma_unmap u = { .argsz = sizeof(u), .iova = 1ull << 32,
						.size = 65536 };
	long rc = uiommu_ioctl(s->t.fd, cmd,
			       cmd == VFIO_IOMMU_MAP_DMA ? (unsigned long)&m : (unsigned long)&u);
	return rc < 0 ? (int)rc : 0;
}

static int do_compat_map(struct sweep *s)
{
	return compat_map(s, VFIO_IOMMU_MAP_DMA);
}

static int undo_compat_map(struct sweep *s)
{
	return compat_map(s, VFIO_IOMMU_UNMAP_DMA);
}

static int do_nest_alloc(struct sweep *s)
{
	struct uiommu_ioas_nest_alloc c = { .size = sizeof(c), .parent_ioas_id = s->ioas };
	int rc = ioc(s->t.fd, UIOMMU_IOAS_NEST_ALLOC, &c);
	s->nest_ioas = rc ? 0 : c.out_ioas_id;
	return rc;
}

static int undo_nest_alloc(struct sweep *s)
{
	return destroy(s, s->nest_ioas);
}

static int nest_map(struct sweep *s, bool map)
{
	if (!map)
		return ioas_unmap(s->t.fd, s->nest_ioas, 1ull << 30, 65536, NULL);
	struct uiommu_ioas_nest_map c = { .size = sizeof(c), .ioas_id = s->nest_ioas,
					  .iova = 1ull << 30, .parent_iova = s->iova,
					  .length = 65536, .flags = MAP_RW };
	return ioc(s->t.fd, UIOMMU_IOAS_NEST_MAP, &c);
}

static int do_nest_map(struct sweep *s)
{
	return nest_map(s, true);
}

static int undo_nest_map(struct sweep *s)
{
	return nest_map(s, false);
}

static int do_unmap_nest_all(struct sweep *s)
{
	return ioas_unmap(s->t.fd, s->nest_ioas, 0, UINT64_MAX, NULL);
}

static int do_destroy_nested(struct sweep *s)
{
	return destroy(s, s->nested);
}

static int do_close_access(struct sweep *s)
{
	return uiommu_close((int)s->access_fd);
}

static int do_destroy_stdev(struct sweep *s)
{
	return destroy(s, s->stdev2);
}

static int do_unmap_all(struct sweep *s)
{
	return ioas_unmap(s->t.fd, s->ioas, 0, UINT64_MAX, NULL);
}

static void test_iommufd_sweep(void **state)
{
	(void)state;
	struct sweep s;
	struct uiommu_host *h = NULL;
	char err[256];
	struct uiommu_host_opts o = { .selftest = true, .no_drivers = true };
	if (uiommu_host_new(&o, &h, err, sizeof(err)))
		fail_msg("host: %s", err);
	sweep_init(&s, h);
	s.mfd = memfd_create("fail-nth", MFD_ALLOW_SEALING);
	assert_int_equal(ftruncate(s.mfd, 262144), 0);

	sweep(&s, "open /dev/iommu", open_iommufd, close_iommufd);
	sweep(&s, "IOAS_ALLOC", do_ioas_alloc, undo_ioas_alloc);
	sweep(&s, "IOAS_ALLOC (2nd)", do_ioas_alloc, undo_ioas_alloc);
	sweep(&s, "IOAS_CHANGE_PROCESS", do_change_process, NULL);
	sweep(&s, "MOCK_DOMAIN", do_mock_domain, undo_mock_domain);
	sweep(&s, "OPTION HUGE_PAGES", do_option, undo_option);
	sweep(&s, "IOAS_IOVA_RANGES", do_iova_ranges, NULL);
	sweep(&s, "IOAS_ALLOW_IOVAS", do_allow, undo_allow);
	sweep(&s, "IOAS_MAP", do_map, undo_map);
	sweep(&s, "IOAS_MAP_FILE", do_map_file, undo_map_file);
	sweep(&s, "IOAS_COPY", do_copy, undo_copy);
	sweep(&s, "IOAS_UNMAP", do_unmap_copy, undo_unmap_copy);
	sweep(&s, "IOAS_COPY (again)", do_copy, undo_copy);
	sweep(&s, "IOAS_MAP into a domain", do_map_domain, undo_map_domain);
	sweep(&s, "MOCK_DOMAIN (2nd domain)", do_mock_domain2, undo_mock_domain2);
	sweep(&s, "GET_HW_INFO", do_hw_info, NULL);
	sweep(&s, "HWPT_ALLOC (PASID)", do_hwpt_pasid, undo_hwpt_pasid);
	sweep(&s, "MOCK_DOMAIN_REPLACE", do_replace, undo_replace);
	sweep(&s, "HWPT_ALLOC (NEST_PARENT)", do_parent, undo_parent);
	sweep(&s, "VIOMMU_ALLOC", do_viommu, undo_viommu);
	sweep(&s, "VDEVICE_ALLOC", do_vdevice, undo_vdevice);
	sweep(&s, "HW_QUEUE_ALLOC", do_hw_queue, undo_hw_queue);
	sweep(&s, "FAULT_QUEUE_ALLOC", do_fault, undo_fault);
	sweep(&s, "HWPT_ALLOC (nested, fault)", do_nested, undo_nested);
	sweep(&s, "HWPT_INVALIDATE", do_invalidate, NULL);
	sweep(&s, "VEVENTQ_ALLOC", do_veventq, undo_veventq);
	sweep(&s, "SET_DIRTY_TRACKING", do_dirty_on, undo_dirty_on);
	sweep(&s, "GET_DIRTY_BITMAP", do_dirty_bitmap, NULL);
	sweep(&s, "PASID_ATTACH", do_pasid_attach, undo_pasid_attach);
	sweep(&s, "PASID_REPLACE", do_pasid_replace, undo_pasid_replace);
	sweep(&s, "PASID_DETACH", do_pasid_detach, undo_pasid_detach);
	sweep(&s, "CREATE_ACCESS", do_access, undo_access);
	sweep(&s, "ACCESS_PAGES", do_access_pages, undo_access_pages);
	sweep(&s, "ACCESS_RW", do_access_rw, NULL);
	sweep(&s, "DESTROY_ACCESS_PAGES", undo_access_pages, do_access_pages);
	sweep(&s, "close access", do_close_access, NULL);
	sweep(&s, "VFIO_IOAS SET", do_vfio_ioas, undo_vfio_ioas);
	sweep(&s, "VFIO_IOMMU_MAP_DMA (compat)", do_compat_map, undo_compat_map);
	sweep(&s, "VFIO_IOMMU_UNMAP_DMA (compat)", undo_compat_map, do_compat_map);
	sweep(&s, "NEST_ALLOC (uiommu)", do_nest_alloc, undo_nest_alloc);
	sweep(&s, "NEST_MAP (uiommu)", do_nest_map, undo_nest_map);
	sweep(&s, "DESTROY (nested HWPT)", do_destroy_nested, NULL);
	sweep(&s, "DESTROY (mock device)", do_destroy_stdev, NULL);
	sweep(&s, "IOAS_UNMAP (nested, all)", do_unmap_nest_all, NULL);
	sweep(&s, "DESTROY (nested IOAS)", undo_nest_alloc, NULL);
	sweep(&s, "DESTROY (HW queue)", undo_hw_queue, NULL);
	sweep(&s, "IOAS_UNMAP (all, domains)", do_unmap_all, NULL);
	sweep(&s, "close /dev/iommu", close_iommufd, NULL);
	s.t.fd = -1;
	sweep_fini(&s);
}

/* ---- VFIO, on the default VT-d host ---- */


static int vioc(int fd, unsigned long cmd, void *arg)
{
	long rc = uiommu_ioctl(fd, cmd, (unsigned long)(uintptr_t)arg);
	return rc < 0 ? (int)rc : 0;
}

static int do_container(struct sweep *s)
{
	int fd = vfio_open_container(s->t.h);
	if (fd >= 0)
		s->cfd = fd;
	return fd < 0 ? fd : 0;
}


static int undo_container(struct sweep *s)
{
	int rc = uiommu_close(s->cfd);
	s->cfd = -1;
	return rc;
}

static int do_group(struct sweep *s)
{
	int fd = vfio_open_group(s->t.h, group_of(s->t.h, "dmatest0"));
	if (fd >= 0)
		s->gfd = fd;
	return fd < 0 ? fd : 0;
}

static int undo_group(struct sweep *s)
{
	int rc = uiommu_close(s->gfd);
	s->gfd = -1;
	return rc;
}

static int do_set_container(struct sweep *s)
{
	int cfd = s->cfd;
	return vioc(s->gfd, VFIO_GROUP_SET_CONTAINER, &cfd);
}

static int undo_set_container(struct sweep *s)
{
	return vioc(s->gfd, VFIO_GROUP_UNSET_CONTAINER, NULL);
}

static int do_set_iommu(struct sweep *s)
{
	long rc = uiommu_ioctl(s->cfd, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU);
	return rc < 0 ? (int)rc : 0;
}

static int do_device_fd(struct sweep *s)
{
	long fd = uiommu_ioctl(s->gfd, VFIO_GROUP_GET_DEVICE_FD, (unsigned long)"0000:00:02.0");
	if (fd >= 0)
		s->dfd = (int)fd;
	return fd < 0 ? (int)fd : 0;
}

static int undo_device_fd(struct sweep *s)
{
	int rc = uiommu_close(s->dfd);
	s->dfd = -1;
	return rc;
}

static int type1_map(struct sweep *s, bool map)
{
	struct vfio_iommu_type1_dma_map m = { .argsz = sizeof(m), .iova = 1ull << 32,
					      .vaddr = (uintptr_t)s->buf, .size = BUF_SIZE,
					      .flags = VFIO_DMA_MAP_FLAG_READ |
						       VFIO_DMA_MAP_FLAG_WRITE };
	struct vfio_iommu_type1_dma_unmap u = { .argsz = sizeof(u), .iova = 1ull << 32,
						.size = BUF_SIZE };
	return map ? vioc(s->cfd, VFIO_IOMMU_MAP_DMA, &m) : vioc(s->cfd, VFIO_IOMMU_UNMAP_DMA, &u);
}

static int do_map_dma(struct sweep *s)
{
	return type1_map(s, true);
}

static int undo_map_dma(struct sweep *s)
{
	return type1_map(s, false);
}

static int do_get_info(struct sweep *s)
{
	uint8_t info[512];
	struct vfio_iommu_type1_info *i = (void *)info;
	i->argsz = sizeof(info);
	return vioc(s->cfd, VFIO_IOMMU_GET_INFO, i);
}

static int do_device_info(struct sweep *s)
{
	struct vfio_device_info di = { .argsz = sizeof(di) };
	struct vfio_region_info ri = { .argsz = sizeof(ri), .index = VFIO_PCI_BAR0_REGION_INDEX };
	struct vfio_irq_info ii = { .argsz = sizeof(ii), .index = VFIO_PCI_MSIX_IRQ_INDEX };
	int rc = vioc(s->dfd, VFIO_DEVICE_GET_INFO, &di);
	if (!rc)
		rc = vioc(s->dfd, VFIO_DEVICE_GET_REGION_INFO, &ri);
	if (!rc)
		rc = vioc(s->dfd, VFIO_DEVICE_GET_IRQ_INFO, &ii);
	return rc;
}

static int do_config_rw(struct sweep *s)
{
	uint16_t cmd;
	ssize_t n = uiommu_pread(s->dfd, &cmd, 2, CDEV_CFG + PCI_COMMAND);
	if (n == 2) {
		cmd |= PCI_COMMAND_MASTER | PCI_COMMAND_MEMORY;
		n = uiommu_pwrite(s->dfd, &cmd, 2, CDEV_CFG + PCI_COMMAND);
	}
	return n < 0 ? (int)n : 0;
}

static int set_irqs(struct sweep *s, int efd)
{
	uint8_t b[sizeof(struct vfio_irq_set) + sizeof(int)];
	struct vfio_irq_set *set = (void *)b;
	*set = (struct vfio_irq_set){ .argsz = sizeof(b), .index = VFIO_PCI_MSI_IRQ_INDEX,
				      .flags = VFIO_IRQ_SET_DATA_EVENTFD |
					       VFIO_IRQ_SET_ACTION_TRIGGER,
				      .start = 0, .count = 1 };
	if (efd < 0) {
		set->flags = VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER;
		set->count = 0;
		set->argsz = sizeof(*set);
	}
	memcpy(set->data, &efd, sizeof(int));
	return vioc(s->dfd, VFIO_DEVICE_SET_IRQS, set);
}

static int efd = -1;

static int do_set_irqs(struct sweep *s)
{
	return set_irqs(s, efd);
}

static int undo_set_irqs(struct sweep *s)
{
	return set_irqs(s, -1);
}

static int do_reset(struct sweep *s)
{
	return vioc(s->dfd, VFIO_DEVICE_RESET, NULL);
}

static int do_unset_container(struct sweep *s)
{
	return vioc(s->gfd, VFIO_GROUP_UNSET_CONTAINER, NULL);
}

static void test_vfio_sweep(void **state)
{
	(void)state;
	struct sweep s;
	sweep_init(&s, th_host(NULL, true));
	efd = eventfd(0, EFD_CLOEXEC);

	sweep(&s, "open /dev/vfio/vfio", do_container, undo_container);
	sweep(&s, "open /dev/vfio/<group>", do_group, undo_group);
	sweep(&s, "GROUP_SET_CONTAINER", do_set_container, undo_set_container);
	sweep(&s, "SET_IOMMU (type1v2)", do_set_iommu, NULL);
	s.type1 = true;
	sweep(&s, "GROUP_GET_DEVICE_FD", do_device_fd, undo_device_fd);
	sweep(&s, "IOMMU_MAP_DMA", do_map_dma, undo_map_dma);
	sweep(&s, "IOMMU_GET_INFO", do_get_info, NULL);
	sweep(&s, "DEVICE_GET_*_INFO", do_device_info, NULL);
	sweep(&s, "config pread/pwrite", do_config_rw, NULL);
	sweep(&s, "DEVICE_SET_IRQS (MSI)", do_set_irqs, undo_set_irqs);
	sweep(&s, "DEVICE_SET_IRQS (off)", undo_set_irqs, do_set_irqs);
	sweep(&s, "DEVICE_RESET", do_reset, NULL);
	sweep(&s, "IOMMU_UNMAP_DMA", undo_map_dma, do_map_dma);
	sweep(&s, "close device", undo_device_fd, NULL);
	s.type1 = false;
	sweep(&s, "GROUP_UNSET_CONTAINER", do_unset_container, NULL);
	sweep(&s, "close group", undo_group, NULL);
	sweep(&s, "close container", undo_container, NULL);
	close(efd);
	sweep_fini(&s);
}

/* ---- VFIO cdevs on /dev/iommu: a pdev, an idxd mdev, a software mdev ---- */

static const char *cdev_name;
static int cdev_fd[3];
static uint32_t cdev_id[3];
static unsigned cdev_i;

static int do_cdev_open(struct sweep *s)
{
	struct device *dev = uiommu_device_find(s->t.h, cdev_name);
	if (!dev)
		return -ENODEV;
	int fd = cdev_open_dev(s->t.h, dev);
	if (fd >= 0)
		cdev_fd[cdev_i] = fd;
	return fd < 0 ? fd : 0;
}

static int undo_cdev_open(struct sweep *s)
{
	(void)s;
	return uiommu_close(cdev_fd[cdev_i]);
}

static int do_bind(struct sweep *s)
{
	return cdev_bind(cdev_fd[cdev_i], s->t.fd, &cdev_id[cdev_i]);
}

/* Unbinding is closing: a bound cdev is undone by a fresh one. */
static int undo_bind(struct sweep *s)
{
	int rc = uiommu_close(cdev_fd[cdev_i]);
	return rc ? rc : do_cdev_open(s);
}

static int do_attach(struct sweep *s)
{
	uint32_t pt = s->ioas;
	return cdev_attach(cdev_fd[cdev_i], &pt);
}

static int undo_attach(struct sweep *s)
{
	(void)s;
	return cdev_detach(cdev_fd[cdev_i]);
}

static int do_attach_pasid(struct sweep *s)
{
	uint32_t pt = s->ioas;
	return cdev_attach_pasid(cdev_fd[cdev_i], 5, &pt);
}

static int undo_attach_pasid(struct sweep *s)
{
	(void)s;
	return cdev_detach_pasid(cdev_fd[cdev_i], 5);
}

static int do_close_cdev(struct sweep *s)
{
	(void)s;
	return uiommu_close(cdev_fd[cdev_i]);
}

static int do_cpu_pasid(struct sweep *s)
{
	struct uiommu_pasid_translation c = { .size = sizeof(c),
					      .flags = UIOMMU_PASID_TRANSLATION_SET |
						       UIOMMU_PASID_TRANSLATION_ENABLE };
	return ioc(s->t.fd, UIOMMU_PASID_TRANSLATION, &c);
}

static void cdev_sweep(struct sweep *s, unsigned i, const char *name, bool pasid)
{
	char label[64];
	cdev_i = i;
	cdev_name = name;
	snprintf(label, sizeof(label), "open cdev (%s)", i == 0 ? "pdev" : i == 1 ? "idxd" : "sw");
	sweep(s, label, do_cdev_open, undo_cdev_open);
	sweep(s, "  BIND_IOMMUFD", do_bind, undo_bind);
	sweep(s, "  ATTACH_IOMMUFD_PT", do_attach, undo_attach);
	sweep(s, "  DETACH_IOMMUFD_PT", undo_attach, do_attach);
	sweep(s, "  ATTACH_IOMMUFD_PT (again)", do_attach, undo_attach);
	if (pasid) {
		sweep(s, "  ATTACH_IOMMUFD_PT PASID", do_attach_pasid, undo_attach_pasid);
		sweep(s, "  DETACH_IOMMUFD_PT PASID", undo_attach_pasid, do_attach_pasid);
	}
}

static void test_cdev_sweep(void **state)
{
	(void)state;
	struct sweep s;
	struct uiommu_host *h = th_host(NULL, true);
	struct device *m6, *sw;
	assert_int_equal(uiommu_mdev_create(h, "dsa-1dwq-pasid-v1",
					    "6a1d0f3e-0000-4000-8000-000000000006", &m6), 0);
	assert_int_equal(uiommu_mdev_create(h, "swcopy-v1",
					    "6a1d0f3e-0000-4000-8000-000000000008", &sw), 0);
	sweep_init(&s, h);
	sweep(&s, "open /dev/iommu", open_iommufd, close_iommufd);
	sweep(&s, "IOAS_ALLOC", do_ioas_alloc, undo_ioas_alloc);
	sweep(&s, "IOAS_MAP", do_map, undo_map);
	sweep(&s, "PASID_TRANSLATION (uiommu)", do_cpu_pasid, NULL);
	cdev_sweep(&s, 0, "0000:00:02.0", false);
	cdev_sweep(&s, 1, "6a1d0f3e-0000-4000-8000-000000000006", true);
	cdev_sweep(&s, 2, "6a1d0f3e-0000-4000-8000-000000000008", false);
	sweep(&s, "IOAS_UNMAP (attached)", undo_map, do_map);
	for (cdev_i = 0; cdev_i < 3; cdev_i++)
		sweep(&s, "close cdev", do_close_cdev, NULL);
	sweep(&s, "close /dev/iommu", close_iommufd, NULL);
	sweep_fini(&s);
}

/* The counter itself: decremented per fault point, 0 once injected. */
static void test_fail_nth_counter(void **state)
{
	(void)state;
	atomic_store(&failslab.ignore_gfp_wait, false);
	fail_nth_write(3);
	atomic_store(&failslab.verbose, 0);
	void *a = kmalloc(8), *b = kzalloc(8);
	assert_non_null(a);
	assert_non_null(b);
	assert_int_equal(fail_nth_read(), 1);
	assert_null(kstrdup("x"));
	assert_int_equal(fail_nth_read(), 0);
	void *c = kcalloc(1, 8);
	assert_non_null(c);
	free(a), free(b), free(c);
	/* Linux's default: sleeping allocations are no fault points. */
	atomic_store(&failslab.ignore_gfp_wait, true);
	fail_nth_write(1);
	a = kmalloc(8);
	assert_non_null(a);
	assert_int_equal(fail_nth_read(), 1);
	fail_nth_write(0);
	free(a);
	/* Overflowing arrays fail without reaching the allocator. */
	assert_null(kcalloc(SIZE_MAX / 2, 4));
	assert_null(kmalloc_array(SIZE_MAX / 2, 4));
}

int main(int argc, char **argv)
{
	if (argc > 1)
		cmocka_set_test_filter(argv[1]);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fail_nth_counter),
		cmocka_unit_test(test_iommufd_sweep),
		cmocka_unit_test(test_vfio_sweep),
		cmocka_unit_test(test_cdev_sweep),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
