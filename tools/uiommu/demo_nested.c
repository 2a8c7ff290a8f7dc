/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The nested story (issue #11, seed 2 sections 4.4-4.6): a VMM gives a
 * guest the DSA behind a vIOMMU.
 *
 *   1. the VMM maps the guest's RAM into a GPA IOAS under a NEST_PARENT
 *      HWPT (with dirty tracking), makes a vIOMMU over it and a vDEVICE
 *      for dsa0, and a fault queue;
 *   2. the guest's IOMMU driver builds first-stage tables of its own in
 *      guest RAM: one for its kernel's DMA (dsa0's RID), one for a
 *      process's address space bound at vPASID 1 (SVA) - the VMM mirrors
 *      each as a nested HWPT through the vIOMMU;
 *   3. migration starts: dirty tracking on;
 *   4. the guest kernel copies through the RID; the process copies into
 *      memory it never touched: the DSA blocks on the fault, the VMM's
 *      thread takes the page request from the fault queue, the guest maps
 *      the page and invalidates through the vIOMMU, the VMM answers, the
 *      DSA resumes;
 *   5. the VMM collects the dirty pages - data, and the guest page tables
 *      the unit wrote A/D bits into;
 *   6. the PASID entries, both stages decoded from memory.
 */
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <fcntl.h>

#include <uapi/linux/iommufd.h>
#include <uiommu/files.h>
#include <uiommu/hw/vtd.h>
#include <uiommu/iommufd.h>
#include <uiommu/iommufd_ext.h>

#include "cli.h"
#include "demo.h"
#include "guest/dsa_wq.h"
#include "guest/guest.h"
#include "base/device.h"
#include "hw/pci/pci.h"
#include "iommu/intel/debugfs.h"

#define PG        4096ull
#define RAM       (64ull << 20)     /* guest RAM at GPA 0 */
#define TABLES    (4ull << 20)      /* the top of it: the guest's page tables */
#define VRID      0x0018u           /* dsa0 in the guest: 00:03.0 */
#define VPASID    1
#define COPY      (16u << 10)
/* The guest kernel's buffers (GPA) and where its DMA domain puts them. */
#define K_SRC     0x200000ull
#define K_DST     0x210000ull
#define K_CR      0x220000ull
#define K_IOVA    0xfff00000ull
/* The process: its buffers (GVA -> GPA); the destination not yet there. */
#define U_SRC     0x7f1200000000ull
#define U_CR      0x7f1200010000ull
#define U_DST     0x7f1200100000ull
#define U_SRC_GPA 0x400000ull
#define U_CR_GPA  0x410000ull
#define U_FREE    0x800000ull       /* the guest's free pages */

struct fault_note {
	uint64_t addr, gpa;
	uint32_t pasid;
	bool write;
};

struct vm {
	struct uiommu_host *h;
	struct demo_out *o;
	int fd, fault_fd;
	struct iommufd_ctx *ictx;
	struct device *dev;
	struct hw_pci_function *fn;
	struct iommufd_device *idev;
	uint32_t dev_id, ioas, parent, viommu, vdev, fault_id, khwpt, uhwpt;
	struct guest g;
	struct guest_pt kpt, upt;
	uint64_t next_free;
	/* The VMM's fault thread and what it did. */
	pthread_t thread;
	atomic_bool stop;
	atomic_int served;
	struct fault_note notes[8];
};

static long ioc(struct vm *v, unsigned long cmd, void *arg)
{
	return uiommu_ioctl(v->fd, cmd, (unsigned long)(uintptr_t)arg);
}

static int hwpt_alloc(struct vm *v, uint32_t flags, uint32_t pt, const struct guest_pt *s1,
		      uint32_t *out)
{
	struct iommu_hwpt_vtd_s1 d = { .pgtbl_addr = s1 ? s1->root : 0, .addr_width = 48 };
	struct iommu_hwpt_alloc c = { .size = sizeof(c), .flags = flags, .dev_id = v->dev_id,
				      .pt_id = pt, .fault_id = v->fault_id };
	if (s1) {
		c.data_type = IOMMU_HWPT_DATA_VTD_S1;
		c.data_len = sizeof(d);
		c.data_uptr = (uintptr_t)&d;
	}
	long rc = ioc(v, IOMMU_HWPT_ALLOC, &c);
	*out = c.out_hwpt_id;
	return (int)rc;
}

/* ---- the guest ---- */

/* The guest's fault handler: a free page for the address, then the
 * invalidation its vIOMMU driver sends (resolved by the VMM to our
 * vDEVICE and the PASID). */
static int guest_fix_fault(struct vm *v, uint64_t addr, uint64_t *gpa)
{
	*gpa = v->next_free;
	v->next_free += PG;
	uint64_t va = addr & ~(PG - 1);
	if (guest_pt_map(&v->upt, va, *gpa, 12, GUEST_PTE_USER))
		return -1;
	struct uiommu_viommu_invalidate_vdev e = { .virt_id = VRID, .pasid = VPASID,
						   .data_type = IOMMU_HWPT_INVALIDATE_DATA_VTD_S1 };
	struct iommu_hwpt_vtd_s1_invalidate inv = { .addr = va, .npages = 1,
						    .flags = IOMMU_VTD_INV_FLAGS_LEAF };
	memcpy(e.data, &inv, sizeof(inv));
	struct iommu_hwpt_invalidate c = { .size = sizeof(c), .hwpt_id = v->viommu,
					   .data_uptr = (uintptr_t)&e,
					   .data_type = IOMMU_VIOMMU_INVALIDATE_DATA_UIOMMU_VDEV,
					   .entry_len = sizeof(e), .entry_num = 1 };
	return ioc(v, IOMMU_HWPT_INVALIDATE, &c) ? -1 : 0;
}

/* ---- the VMM's fault thread ---- */

static void *vmm_fault_thread(void *arg)
{
	struct vm *v = arg;
	while (!atomic_load(&v->stop)) {
		struct pollfd p = { .fd = v->fault_fd, .events = POLLIN };
		if (poll(&p, 1, 50) != 1)
			continue;
		struct iommu_hwpt_pgfault rec;
		if (uiommu_read(v->fault_fd, &rec, sizeof(rec)) != sizeof(rec))
			continue;
		/* Injected into the guest, which fixes its table; its page
		 * response comes back through the vIOMMU and goes out here. */
		uint64_t gpa = 0;
		int n = atomic_load(&v->served);
		uint32_t code = guest_fix_fault(v, rec.addr, &gpa) ? IOMMUFD_PAGE_RESP_INVALID :
								    IOMMUFD_PAGE_RESP_SUCCESS;
		if (n < (int)(sizeof(v->notes) / sizeof(v->notes[0]))) {
			struct fault_note *note = &v->notes[n];
			note->addr = rec.addr;
			note->gpa = gpa;
			note->pasid = rec.pasid;
			note->write = rec.perm & IOMMU_PGFAULT_PERM_WRITE;
		}
		struct iommu_hwpt_page_response resp = { .cookie = rec.cookie, .code = code };
		uiommu_write(v->fault_fd, &resp, sizeof(resp));
		atomic_fetch_add(&v->served, 1);
	}
	return NULL;
}

/* ---- the story ---- */

static int vmm_setup(struct vm *v)
{
	struct iommu_ioas_alloc a = { .size = sizeof(a) };
	struct iommu_fault_alloc f = { .size = sizeof(f) };
	if (guest_init(&v->g, 0, RAM, TABLES) || ioc(v, IOMMU_IOAS_ALLOC, &a) ||
	    ioc(v, IOMMU_FAULT_QUEUE_ALLOC, &f))
		return -1;
	v->ioas = a.out_ioas_id;
	v->fault_id = f.out_fault_id;
	v->fault_fd = (int)f.out_fault_fd;
	struct iommu_ioas_map m = { .size = sizeof(m),
				    .flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE |
					     IOMMU_IOAS_MAP_WRITEABLE,
				    .ioas_id = v->ioas, .user_va = (uintptr_t)v->g.ram,
				    .length = RAM, .iova = 0 };
	/* 4 KiB pages, so the dirty bitmap names single pages. */
	struct iommu_option opt = { .size = sizeof(opt), .option_id = IOMMU_OPTION_HUGE_PAGES,
				    .op = IOMMU_OPTION_OP_SET, .object_id = v->ioas };
	if (ioc(v, IOMMU_OPTION, &opt) || ioc(v, IOMMU_IOAS_MAP, &m) ||
	    hwpt_alloc(v, IOMMU_HWPT_ALLOC_NEST_PARENT | IOMMU_HWPT_ALLOC_DIRTY_TRACKING |
				  IOMMU_HWPT_ALLOC_PASID,
		       v->ioas, NULL, &v->parent))
		return -1;
	demo_say(v->o, "vmm", "guest RAM: %llu MiB at GPA 0, mapped into a GPA IOAS; a nesting "
			      "parent HWPT over it, with dirty tracking",
		 (unsigned long long)(RAM >> 20));
	struct iommu_viommu_alloc va = { .size = sizeof(va), .type = IOMMU_VIOMMU_TYPE_DEFAULT,
					 .dev_id = v->dev_id, .hwpt_id = v->parent };
	if (ioc(v, IOMMU_VIOMMU_ALLOC, &va))
		return -1;
	v->viommu = va.out_viommu_id;
	struct iommu_vdevice_alloc vd = { .size = sizeof(vd), .viommu_id = v->viommu,
					  .dev_id = v->dev_id, .virt_id = VRID };
	if (ioc(v, IOMMU_VDEVICE_ALLOC, &vd))
		return -1;
	v->vdev = vd.out_vdevice_id;
	demo_say(v->o, "vmm", "vIOMMU %u over it (VT-d, DEFAULT); dsa0 is vDEVICE %u, RID "
			      "00:03.0 in the guest; fault queue %u",
		 v->viommu, v->vdev, v->fault_id);
	return 0;
}

/* The guest's two address spaces: its kernel's DMA domain (RID) and a
 * process's (vPASID 1), each a first stage the VMM mirrors as a nested
 * HWPT through the vIOMMU. */
static int guest_address_spaces(struct vm *v)
{
	if (guest_pt_init(&v->kpt, &v->g, 4) || guest_pt_init(&v->upt, &v->g, 4))
		return -1;
	static const uint64_t kmap[] = { K_SRC, K_DST, K_CR };
	for (size_t i = 0; i < 3; i++)
		for (uint64_t off = 0; off < (i < 2 ? COPY : PG); off += PG)
			/* U/S on: device requests are user requests (VT-d
			 * 3.6.1), as Linux's own first-stage entries say. */
			if (guest_pt_map(&v->kpt, K_IOVA + i * 0x100000 + off, kmap[i] + off, 12,
					 GUEST_PTE_USER))
				return -1;
	for (uint64_t off = 0; off < COPY; off += PG)
		if (guest_pt_map(&v->upt, U_SRC + off, U_SRC_GPA + off, 12, GUEST_PTE_USER))
			return -1;
	if (guest_pt_map(&v->upt, U_CR, U_CR_GPA, 12, GUEST_PTE_USER))
		return -1;
	demo_say(v->o, "guest", "IOMMU driver: a first stage for its kernel's DMA (tables at GPA "
				"0x%" PRIx64 ") and one for a process's address space "
				"(GPA 0x%" PRIx64 ")",
		 v->kpt.root, v->upt.root);
	if (hwpt_alloc(v, IOMMU_HWPT_ALLOC_PASID, v->viommu, &v->kpt, &v->khwpt) ||
	    hwpt_alloc(v, IOMMU_HWPT_ALLOC_PASID | IOMMU_HWPT_FAULT_ID_VALID, v->viommu, &v->upt,
		       &v->uhwpt))
		return -1;
	uint32_t kpt = v->khwpt, upt = v->uhwpt;
	if (iommufd_device_attach(v->idev, IOMMU_NO_PASID, &kpt) ||
	    iommufd_device_attach(v->idev, VPASID, &upt))
		return -1;
	demo_say(v->o, "vmm", "mirrored both as nested HWPTs through the vIOMMU: %u on dsa0's RID, "
			      "%u at PASID %u (fault-capable: the process's pages come on demand)",
		 v->khwpt, v->uhwpt, VPASID);
	if (dsa_wq_configure(v->fn, 0, 16, DSA_WQ_NO_PASID, false) ||
	    dsa_wq_configure(v->fn, 1, 16, VPASID, true) || dsa_wq_enable(v->fn, 0) ||
	    dsa_wq_enable(v->fn, 1))
		return -1;
	demo_say(v->o, "guest", "idxd: WQ0 for the kernel (no PASID), WQ1 for the process "
				"(PASID %u, block on fault)",
		 VPASID);
	return 0;
}

static uint8_t run(struct vm *v, unsigned wq, uint64_t src, uint64_t dst, uint64_t cr_iova,
		   struct dsa_completion_record *cr)
{
	memset(cr, 0, sizeof(*cr));
	struct dsa_hw_desc d = dsa_desc(DSA_OPCODE_MEMMOVE, wq ? DSA_FLAG_BOF : 0, src, dst, COPY,
					cr_iova);
	if (dsa_wq_submit(v->fn, wq, &d))
		return 0;
	return dsa_wait(cr, 10);
}

static bool guest_work(struct vm *v)
{
	uint8_t *ksrc = guest_va(&v->g, K_SRC), *usrc = guest_va(&v->g, U_SRC_GPA);
	for (unsigned i = 0; i < COPY; i++) {
		ksrc[i] = (uint8_t)(i * 13 + 1);
		usrc[i] = (uint8_t)(i * 7 + 5);
	}
	uint8_t st = run(v, 0, K_IOVA, K_IOVA + 0x100000, K_IOVA + 0x200000,
			 guest_va(&v->g, K_CR));
	bool kok = st == DSA_COMP_SUCCESS && !memcmp(guest_va(&v->g, K_DST), ksrc, COPY);
	demo_say(v->o, "guest", "kernel: MEMMOVE of %u KiB through the RID (IOVA -> GPA -> host): "
				"%s",
		 COPY >> 10, kok ? "done, destination checked" : "FAILED");

	pthread_create(&v->thread, NULL, vmm_fault_thread, v);
	st = run(v, 1, U_SRC, U_DST, U_CR, guest_va(&v->g, U_CR_GPA));
	atomic_store(&v->stop, true);
	pthread_join(v->thread, NULL);
	int served = atomic_load(&v->served);
	for (int i = 0; i < served && i < 8; i++)
		demo_say(v->o, "vmm", "fault %d: %s at 0x%" PRIx64 ", PASID %u -> guest maps GPA "
				      "0x%" PRIx64 ", invalidates through the vIOMMU; Success",
			 i + 1, v->notes[i].write ? "write" : "read", v->notes[i].addr,
			 v->notes[i].pasid, v->notes[i].gpa);
	bool uok = st == DSA_COMP_SUCCESS && served == (int)(COPY / PG);
	for (uint64_t off = 0; uok && off < COPY; off += PG)
		uok = !memcmp(guest_va(&v->g, v->notes[off / PG].gpa), usrc + off, PG);
	demo_say(v->o, "guest", "process: MEMMOVE of %u KiB into memory it never touched: %s",
		 COPY >> 10,
		 uok ? "the DSA waited on each page and finished; destination checked" : "FAILED");
	return kok && uok;
}

static uint64_t dirty_pages(struct vm *v, uint64_t *bm, uint64_t *data, uint64_t *tables)
{
	size_t words = RAM / PG / 64;
	memset(bm, 0, words * 8);
	struct iommu_hwpt_get_dirty_bitmap g = { .size = sizeof(g), .hwpt_id = v->parent,
						 .length = RAM, .page_size = PG,
						 .data = (uintptr_t)bm };
	if (ioc(v, IOMMU_HWPT_GET_DIRTY_BITMAP, &g))
		return UINT64_MAX;
	*data = *tables = 0;
	for (uint64_t p = 0; p < RAM / PG; p++)
		if (bm[p / 64] & (1ull << (p % 64)))
			++*(p * PG >= RAM - TABLES ? tables : data);
	return *data + *tables;
}

/* The dirty pages of guest RAM: in all, of data, of the guest's tables. */
struct dirty {
	uint64_t n, data, tables;
};

static bool migrate(struct vm *v, struct dirty *d)
{
	uint64_t *bm = calloc(RAM / PG / 64, 8), data2, tables2;
	d->n = dirty_pages(v, bm, &d->data, &d->tables);
	demo_say(v->o, "vmm", "migration: %" PRIu64 " dirty pages since tracking began: %" PRIu64
			      " of data (kernel and process destinations, completion "
			      "records), %" PRIu64 " of the guest's page tables, whose A/D bits "
			      "the unit wrote",
		 d->n, d->data, d->tables);
	uint64_t again = dirty_pages(v, bm, &data2, &tables2);
	demo_say(v->o, "vmm", "read again (the first read cleared them): %" PRIu64 " dirty", again);
	free(bm);
	/* 4 kernel and 4 process destination pages and two records. */
	return d->n != UINT64_MAX && d->data == 10 && again == 0;
}

static void teardown(struct vm *v)
{
	dsa_wq_teardown(v->fn);
	if (v->idev) {
		iommufd_device_detach(v->idev, VPASID);
		iommufd_device_detach(v->idev, IOMMU_NO_PASID);
		iommufd_device_unbind(v->idev);
	}
	if (v->fault_fd >= 0)
		uiommu_close(v->fault_fd);
	if (v->ictx)
		iommufd_ctx_put(v->ictx);
	if (v->fd >= 0)
		uiommu_close(v->fd);
	guest_fini(&v->g);
}

int demo_nested(struct uiommu_host *h, struct demo_out *o)
{
	struct vm v = { .h = h, .o = o, .fd = -1, .fault_fd = -1, .next_free = U_FREE };
	int err;
	v.dev = uiommu_device_find(h, "dsa0");
	v.fn = v.dev ? cli_hw_function(h, v.dev) : NULL;
	v.fd = uiommu_open(h, "/dev/iommu", O_RDWR);
	v.ictx = v.fd >= 0 ? iommufd_ctx_from_fd(v.fd, &err) : NULL;
	if (!v.fn || !v.ictx || !(v.idev = iommufd_device_bind(v.ictx, v.dev, &v.dev_id, &err))) {
		fprintf(stderr, "uiommu demo nested: no DSA to give the guest (needs dsa0 with "
				"PASID, ATS and PRI, and no kernel driver on it)\n");
		teardown(&v);
		return 1;
	}
	demo_say(o, "vmm", "dsa0 bound to /dev/iommu (device %u), as VFIO_DEVICE_BIND_IOMMUFD "
			   "does", v.dev_id);
	bool ok = !vmm_setup(&v) && !guest_address_spaces(&v);
	if (ok) {
		struct iommu_hwpt_set_dirty_tracking t = {
			.size = sizeof(t), .hwpt_id = v.parent,
			.flags = IOMMU_HWPT_DIRTY_TRACKING_ENABLE };
		ok = !ioc(&v, IOMMU_HWPT_SET_DIRTY_TRACKING, &t);
		demo_say(o, "vmm", "migration begins: dirty tracking on the nesting parent (SSADE "
				   "in both PASID entries)");
	}
	ok = ok && guest_work(&v);
	struct dirty d = { 0 };
	ok = ok && migrate(&v, &d);
	if (!ok)
		demo_say(o, "vmm", "something failed: see above");
	struct vtd_stats s;
	vtd_stats_get(v.fn->unit, &s);
	demo_stat(o, "dirty_pages", (double)d.n);
	demo_stat(o, "dirty_data_pages", (double)d.data);
	demo_stat(o, "dirty_table_pages", (double)d.tables);
	demo_stat(o, "faults_served", atomic_load(&v.served));
	demo_stat(o, "page_requests", (double)s.page_requests);
	demo_stat(o, "translations", (double)s.translations);
	demo_stat(o, "iotlb_hit_rate",
		  s.translations ? (double)(s.utlb_hits + s.iotlb_hits) / (double)s.translations :
				   0);
	if (demo_field(o, "pasid_table"))
		printf("\nThe PASID table of dsa0, both stages decoded from memory:\n\n");
	intel_dump(h, stdout, "dsa0", o->json, 6);
	demo_done(o, ok);
	teardown(&v);
	return ok ? 0 : 1;
}
