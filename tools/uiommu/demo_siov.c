/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The Scalable-IOV story (issue #4, the 2018 series' cover letter): one
 * DSA sliced into Assignable Device Interfaces, each an mdev given to a
 * tenant through its own VFIO container, isolated by the PASID of its
 * auxiliary domain.
 *
 *   1. idxd has configured the DSA (dedicated WQs) and offers the type;
 *   2. three tenants each create an mdev, open a container, map their
 *      buffers and enable their virtual WQ - the parent writes the aux
 *      domain's PASID into the physical WQCFG at that moment;
 *   3. all three run MEMMOVE and CRCGEN descriptors at once, checking
 *      every result, with a live progress line;
 *   4. one tenant turns attacker: a descriptor aimed at another tenant's
 *      buffer by its physical address is blocked (completion record page
 *      fault), and a forged PASID in the descriptor changes nothing on a
 *      dedicated WQ; the victim's data is untouched;
 *   5. per-tenant bytes, IOTLB hit rate, faults, and the DSA's PASID
 *      table as the hardware reads it.
 */
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <linux/vfio.h>

#include <uiommu/hw/dsa.h>
#include <uiommu/hw/vtd.h>
#include <uiommu/iommu.h>
#include <uiommu/mdev.h>
#include <uiommu/vfio.h>

#include "cli.h"
#include "demo.h"
#include "base/device.h"
#include "hw/dev/dsa/crc32c.h"
#include "hw/pci/pci.h"
#include "iommu/intel/debugfs.h"

#define NR_TENANTS 3
#define BUF_SIZE   (2u << 20)          /* per tenant, source and destination */
#define BLOCK      4096u               /* bytes per descriptor */
#define IOVA_SRC   0x10000000ull
#define IOVA_DST   0x20000000ull
#define IOVA_CR    0x30000000ull
#define MAX_WINDOW 32

#define A(p) ((unsigned long)(uintptr_t)(p))
#define CFG_OFF  UIOMMU_VFIO_REGION_OFFSET(VFIO_PCI_CONFIG_REGION_INDEX)
#define BAR0_OFF UIOMMU_VFIO_REGION_OFFSET(VFIO_PCI_BAR0_REGION_INDEX)
#define BAR2_OFF UIOMMU_VFIO_REGION_OFFSET(VFIO_PCI_BAR2_REGION_INDEX)

static const char *const names[NR_TENANTS] = { "alice", "bob", "carol" };
static const char *const uuids[NR_TENANTS] = {
	"a11ce000-5107-4000-8000-000000000001",
	"b0b00000-5107-4000-8000-000000000002",
	"ca401000-5107-4000-8000-000000000003",
};

struct tenant {
	struct uiommu_host *h;
	const char *name;
	struct device *mdev;
	int cfd, gfd, dfd;
	int pasid;
	unsigned window;               /* descriptors in flight, <= WQ size */
	uint8_t *src, *dst;
	struct dsa_completion_record *cr;   /* one per window slot */
	const struct crc32c *crc;
	/* Results, written by the tenant's thread. */
	_Atomic uint64_t bytes, descs;
	uint64_t bad, faults;
	pthread_t thread;
};

static _Atomic int stop;

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void *xmmap(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

/* A 2 MiB-aligned buffer: with a 2 MiB-aligned IOVA, MAP_DMA can use one
 * 2 MiB IOMMU page for it (what hugepage-backed guest memory gets). */
static void *xmmap_2m(size_t len)
{
	size_t align = 2u << 20;
	uint8_t *p = xmmap(len + align);
	if (!p)
		return NULL;
	uint8_t *a = (uint8_t *)(((uintptr_t)p + align - 1) & ~(uintptr_t)(align - 1));
	if (a > p)
		munmap(p, (size_t)(a - p));
	munmap(a + len, (size_t)(p + len + align - (a + len)));
	return a;
}

/* ---- the tenant's side: only VFIO calls ---- */

static long vmap(struct tenant *t, uint64_t iova, void *va, uint64_t size)
{
	struct vfio_iommu_type1_dma_map m = { .argsz = sizeof(m),
					      .flags = VFIO_DMA_MAP_FLAG_READ |
						       VFIO_DMA_MAP_FLAG_WRITE,
					      .vaddr = (uint64_t)(uintptr_t)va, .iova = iova,
					      .size = size };
	return vfio_ioctl(t->h, t->cfd, VFIO_IOMMU_MAP_DMA, A(&m));
}

static uint64_t vreg(struct tenant *t, unsigned off)
{
	uint64_t v = 0;
	vfio_pread(t->h, t->dfd, &v, 8, BAR0_OFF + off);
	return v;
}

static unsigned vcmd(struct tenant *t, unsigned cmd, uint32_t operand)
{
	uint32_t c = DSA_CMD(cmd, operand);
	vfio_pwrite(t->h, t->dfd, &c, 4, BAR0_OFF + DSA_REG_CMD);
	return DSA_CMDSTS_ERR((uint32_t)vreg(t, DSA_REG_CMDSTS));
}

static int submit(struct tenant *t, const struct dsa_hw_desc *d)
{
	return vfio_pwrite(t->h, t->dfd, d, sizeof(*d), BAR2_OFF) == sizeof(*d) ? 0 : -1;
}

static uint8_t wait_record(volatile struct dsa_completion_record *cr)
{
	double t0 = now_s();
	uint8_t st;
	while (!(st = __atomic_load_n(&cr->status, __ATOMIC_ACQUIRE)) && now_s() - t0 < 5)
		sched_yield();
	return st;
}

static int tenant_open(struct tenant *t, const char *uuid, struct demo_out *o)
{
	struct uiommu_host *h = t->h;
	int rc = uiommu_mdev_create(h, "dsa-1dwq-v1", uuid, &t->mdev);
	if (rc) {
		fprintf(stderr, "uiommu demo: cannot create an mdev for %s: %s\n", t->name,
			strerror(-rc));
		return -1;
	}
	unsigned group = iommu_group_id(iommu_group_get(t->mdev));
	t->cfd = vfio_open_container(h);
	t->gfd = vfio_open_group(h, group);
	if (t->cfd < 0 || t->gfd < 0 ||
	    vfio_ioctl(h, t->gfd, VFIO_GROUP_SET_CONTAINER, A(&t->cfd)) ||
	    vfio_ioctl(h, t->cfd, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU)) {
		fprintf(stderr, "uiommu demo: VFIO setup failed for %s\n", t->name);
		return -1;
	}
	/* What the kernel decided, seen from its side. */
	struct iommu_domain *dom = mdev_get_iommu_domain(t->mdev);
	t->pasid = dom ? iommu_aux_get_pasid(dom, mdev_get_iommu_device(t->mdev)) : -1;
	demo_say(o, t->name,
		 "mdev %s (group %u) -> own container; type1 saw iommu_device %s with aux "
		 "mode on: aux domain, PASID %d",
		 uuid, group, mdev_get_iommu_device(t->mdev)->name, t->pasid);

	t->dfd = vfio_ioctl(h, t->gfd, VFIO_GROUP_GET_DEVICE_FD, A(uuid));
	t->src = xmmap_2m(BUF_SIZE);
	t->dst = xmmap_2m(BUF_SIZE);
	t->cr = xmmap(4096);
	if (t->dfd < 0 || !t->src || !t->dst || !t->cr)
		return -1;
	for (unsigned i = 0; i < BUF_SIZE; i++)
		t->src[i] = (uint8_t)(i * 31 + (unsigned)(t->name[0]));
	if (vmap(t, IOVA_SRC, t->src, BUF_SIZE) || vmap(t, IOVA_DST, t->dst, BUF_SIZE) ||
	    vmap(t, IOVA_CR, t->cr, 4096))
		return -1;

	uint16_t cmd = 0x6; /* memory, bus master */
	vfio_pwrite(h, t->dfd, &cmd, 2, CFG_OFF + 4);
	unsigned e1 = vcmd(t, DSA_CMD_ENABLE_DEVICE, 0);
	unsigned e2 = vcmd(t, DSA_CMD_ENABLE_WQ, 0);
	if (e1 || e2) {
		fprintf(stderr, "uiommu demo: %s's virtual DSA refused to enable (0x%x, 0x%x)\n",
			t->name, e1, e2);
		return -1;
	}
	unsigned wq_size = DSA_WQCAP_TOTAL_SIZE(vreg(t, DSA_REG_WQCAP));
	t->window = wq_size < MAX_WINDOW ? wq_size : MAX_WINDOW;
	demo_say(o, t->name,
		 "mapped 2 x %u MiB (2 MiB pages) + records; enabled its WQ (%u entries): the parent wrote "
		 "PASID %d into the physical WQCFG",
		 BUF_SIZE >> 20, wq_size, t->pasid);
	return 0;
}

static void tenant_close(struct tenant *t)
{
	if (t->dfd >= 0)
		vfio_close(t->h, t->dfd);
	if (t->gfd >= 0)
		vfio_close(t->h, t->gfd);
	if (t->cfd >= 0)
		vfio_close(t->h, t->cfd);
	if (t->mdev)
		uiommu_mdev_remove(t->h, t->mdev->name);
	if (t->src)
		munmap(t->src, BUF_SIZE);
	if (t->dst)
		munmap(t->dst, BUF_SIZE);
	if (t->cr)
		munmap(t->cr, 4096);
}

/* Descriptor `seq` of this tenant: even ones MEMMOVE a block, odd ones
 * CRCGEN a block; slot `s` owns completion record s. */
static void make_desc(struct tenant *t, uint64_t seq, unsigned s, struct dsa_hw_desc *d)
{
	unsigned blocks = BUF_SIZE / BLOCK;
	uint64_t off = (seq / 2 % blocks) * BLOCK;
	memset(d, 0, sizeof(*d));
	d->completion_addr = IOVA_CR + s * sizeof(struct dsa_completion_record);
	d->xfer_size = BLOCK;
	if (seq % 2 == 0) {
		d->flags_opcode = DSA_DESC_MAKE_OP(DSA_OPCODE_MEMMOVE, DSA_FLAG_CRAV | DSA_FLAG_RCR);
		d->src_addr = IOVA_SRC + off;
		d->dst_addr = IOVA_DST + off;
	} else {
		d->flags_opcode = DSA_DESC_MAKE_OP(DSA_OPCODE_CRCGEN, DSA_FLAG_CRAV | DSA_FLAG_RCR);
		d->src_addr = IOVA_SRC + off;
		d->crc_seed = 0;
	}
}

/* Check a finished descriptor against the CPU's own result. */
static void check(struct tenant *t, const struct dsa_hw_desc *d, const struct dsa_completion_record *cr)
{
	uint64_t off = d->src_addr - IOVA_SRC;
	if (DSA_COMP_STATUS(cr->status) != DSA_COMP_SUCCESS) {
		t->bad++;
		return;
	}
	bool ok;
	if (DSA_DESC_OPCODE(d) == DSA_OPCODE_MEMMOVE) {
		ok = !memcmp(t->src + off, t->dst + off, BLOCK);
		atomic_fetch_add(&t->bytes, BLOCK);
	} else {
		ok = cr->crc_val == crc32c_seeded(t->crc, 0, t->src + off, BLOCK);
	}
	t->bad += !ok;
	atomic_fetch_add(&t->descs, 1);
}

static void *tenant_run(void *arg)
{
	struct tenant *t = arg;
	struct dsa_hw_desc inflight[MAX_WINDOW];
	bool busy[MAX_WINDOW] = { false };
	uint64_t seq = 0;
	while (!atomic_load(&stop)) {
		for (unsigned s = 0; s < t->window; s++) {
			volatile struct dsa_completion_record *cr = &t->cr[s];
			if (busy[s]) {
				if (!__atomic_load_n(&cr->status, __ATOMIC_ACQUIRE))
					continue;
				check(t, &inflight[s], (const struct dsa_completion_record *)cr);
				busy[s] = false;
			}
			if (atomic_load(&stop))
				break;
			make_desc(t, seq++, s, &inflight[s]);
			memset((void *)cr, 0, sizeof(*cr));
			if (submit(t, &inflight[s]) == 0)
				busy[s] = true;
		}
		sched_yield();
	}
	/* Let the last ones land before the books close. */
	for (unsigned s = 0; s < t->window; s++)
		if (busy[s] && wait_record(&t->cr[s]))
			check(t, &inflight[s], &t->cr[s]);
	return NULL;
}

/* ---- the attack ---- */

static uint64_t sum(const uint8_t *p, size_t n)
{
	uint64_t h = 1469598103934665603ull;
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 1099511628211ull;
	return h;
}

static bool attack(struct tenant *mallory, struct tenant *victim, struct demo_out *o)
{
	uint64_t before = sum(victim->dst, BUF_SIZE);
	struct dsa_completion_record *cr = &mallory->cr[0];

	/* 1. Straight at the victim's memory by its physical address. */
	uint64_t target = (uint64_t)(uintptr_t)victim->dst;
	struct dsa_hw_desc d = {
		.flags_opcode = DSA_DESC_MAKE_OP(DSA_OPCODE_MEMFILL, DSA_FLAG_CRAV | DSA_FLAG_RCR),
		.completion_addr = IOVA_CR,
		.pattern = 0xdeadbeefdeadbeefull,
		.dst_addr = target,
		.xfer_size = BLOCK,
	};
	memset(cr, 0, sizeof(*cr));
	submit(mallory, &d);
	uint8_t st = wait_record(cr);
	bool blocked1 = DSA_COMP_STATUS(st) == DSA_COMP_PAGE_FAULT_NOBOF;
	demo_say(o, mallory->name,
		 "MEMFILL aimed at %s's buffer, physical address 0x%" PRIx64
		 ": completion status 0x%02x (%s), fault address 0x%" PRIx64 "%s",
		 victim->name, target, st,
		 blocked1 ? "page fault" : "NOT BLOCKED", cr->fault_addr,
		 st & DSA_COMP_STATUS_WRITE ? ", write" : "");

	/* 2. A forged PASID: the descriptor names the victim's PASID and
	 * the victim's IOVA. A dedicated WQ ignores the field; the write
	 * lands in the attacker's own buffer at that IOVA. */
	uint64_t own_before = sum(mallory->dst, BLOCK);
	d.pasid_priv = (uint32_t)victim->pasid;
	d.dst_addr = IOVA_DST;
	memset(cr, 0, sizeof(*cr));
	submit(mallory, &d);
	st = wait_record(cr);
	bool own_hit = sum(mallory->dst, BLOCK) != own_before;
	demo_say(o, mallory->name,
		 "MEMFILL with PASID %d forged in the descriptor, at IOVA 0x%llx: status 0x%02x; "
		 "the WQ tagged it with PASID %d, so it filled %s own buffer",
		 victim->pasid, IOVA_DST, st, mallory->pasid, own_hit ? "the attacker's" : "no");

	bool untouched = sum(victim->dst, BUF_SIZE) == before;
	demo_say(o, victim->name, "%s's data after both attempts: %s", victim->name,
		 untouched ? "untouched" : "CHANGED");
	mallory->faults += blocked1;
	return blocked1 && own_hit && untouched;
}

/* ---- the show ---- */

static void progress(struct tenant *t, double elapsed, const struct vtd_stats *s0,
		     struct hw_pci_function *p)
{
	struct vtd_stats s;
	vtd_stats_get(p->unit, &s);
	uint64_t tr = s.translations - s0->translations;
	uint64_t hits = s.utlb_hits + s.iotlb_hits - s0->utlb_hits - s0->iotlb_hits;
	printf("\r  %4.1fs ", elapsed);
	for (int i = 0; i < NR_TENANTS; i++)
		printf(" %s %5.0f MiB", t[i].name,
		       (double)atomic_load(&t[i].bytes) / (1 << 20));
	printf("   IOTLB hit %5.1f%%  ", tr ? 100.0 * (double)hits / (double)tr : 100.0);
	fflush(stdout);
}

int demo_siov(struct uiommu_host *h, struct demo_out *o, double seconds)
{
	struct device *dsa = uiommu_device_find(h, "dsa0");
	struct hw_pci_function *dsa_fn = cli_hw_function(h, dsa);
	if (!dsa || !dsa->driver || !dsa_fn) {
		fprintf(stderr, "uiommu demo: this host has no DSA (dsa0) bound to idxd; "
				"the siov scenario needs one (see docs/topology.md)\n");
		return 1;
	}
	struct uiommu_mdev_type_info types[8];
	int nt = uiommu_mdev_types(h, types, 8);
	const struct uiommu_mdev_type_info *ty = NULL;
	for (int i = 0; i < nt && i < 8; i++)
		if (!strcmp(types[i].name, "dsa-1dwq-v1"))
			ty = &types[i];
	if (!ty || ty->available < NR_TENANTS) {
		fprintf(stderr, "uiommu demo: dsa0 offers fewer than %d ADIs\n", NR_TENANTS);
		return 1;
	}
	char bdf[8];
	demo_say(o, "host", "dsa0 at %s, driven by %s: aux mode %s, mdev type %s \"%s\", %u available",
		 pci_bdf_str(dsa_fn->rid, bdf), dsa->driver->name,
		 iommu_dev_feature_enabled(dsa, IOMMU_DEV_FEAT_AUX) ? "on" : "off", ty->name,
		 ty->description, ty->available);

	static struct crc32c crc;
	crc32c_init(&crc);
	struct tenant t[NR_TENANTS];
	memset(t, 0, sizeof(t));
	bool ok = true;
	for (int i = 0; i < NR_TENANTS; i++) {
		t[i].h = h;
		t[i].name = names[i];
		t[i].crc = &crc;
		t[i].cfd = t[i].gfd = t[i].dfd = -1;
	}
	for (int i = 0; i < NR_TENANTS && ok; i++)
		ok = tenant_open(&t[i], uuids[i], o) == 0;
	if (!ok) {
		for (int i = 0; i < NR_TENANTS; i++)
			tenant_close(&t[i]);
		return 1;
	}

	demo_say(o, "host", "three tenants run MEMMOVE and CRC-32C descriptors for %.1f s, "
			    "each result checked by the CPU", seconds);
	struct vtd_stats s0, s1;
	vtd_stats_get(dsa_fn->unit, &s0);
	atomic_store(&stop, 0);
	double t0 = now_s();
	for (int i = 0; i < NR_TENANTS; i++)
		pthread_create(&t[i].thread, NULL, tenant_run, &t[i]);
	bool live = !o->json && isatty(STDOUT_FILENO);
	while (now_s() - t0 < seconds) {
		usleep(100000);
		if (live)
			progress(t, now_s() - t0, &s0, dsa_fn);
	}
	atomic_store(&stop, 1);
	for (int i = 0; i < NR_TENANTS; i++)
		pthread_join(t[i].thread, NULL);
	double elapsed = now_s() - t0;
	if (live) {
		progress(t, elapsed, &s0, dsa_fn);
		printf("\n");
	}
	vtd_stats_get(dsa_fn->unit, &s1);
	uint64_t bad = 0;
	for (int i = 0; i < NR_TENANTS; i++) {
		bad += t[i].bad;
		demo_say(o, t[i].name, "%.0f MiB moved, %" PRIu64 " descriptors, %" PRIu64
				       " wrong results",
			 (double)atomic_load(&t[i].bytes) / (1 << 20), atomic_load(&t[i].descs),
			 t[i].bad);
	}

	demo_say(o, "host", "carol turns attacker");
	bool held = attack(&t[2], &t[0], o);

	uint64_t tr = s1.translations - s0.translations;
	uint64_t hits = s1.utlb_hits + s1.iotlb_hits - s0.utlb_hits - s0.iotlb_hits;
	double rate = tr ? (double)hits / (double)tr : 1.0;
	if (!o->json) {
		printf("\n  %-8s %6s %10s %12s %9s %6s %7s\n", "tenant", "PASID", "MiB moved",
		       "descriptors", "MiB/s", "wrong", "faults");
		for (int i = 0; i < NR_TENANTS; i++)
			printf("  %-8s %6d %10.1f %12" PRIu64 " %9.0f %6" PRIu64 " %7" PRIu64 "\n",
			       t[i].name, t[i].pasid, (double)t[i].bytes / (1 << 20),
			       atomic_load(&t[i].descs),
			       (double)t[i].bytes / (1 << 20) / elapsed, t[i].bad, t[i].faults);
		printf("\n  IOTLB: %" PRIu64 " translations, hit rate %.2f%%; VT-d fault records: %" PRIu64
		       "\n\n", tr, 100 * rate, s1.faults);
	}
	/* The table above is the text form; JSON gets the figures. */
	for (int i = 0; i < NR_TENANTS && o->json; i++) {
		char k[32];
		snprintf(k, sizeof(k), "%s_bytes", t[i].name);
		demo_stat(o, k, (double)t[i].bytes);
		snprintf(k, sizeof(k), "%s_descriptors", t[i].name);
		demo_stat(o, k, (double)atomic_load(&t[i].descs));
		snprintf(k, sizeof(k), "%s_wrong", t[i].name);
		demo_stat(o, k, (double)t[i].bad);
		snprintf(k, sizeof(k), "%s_faults", t[i].name);
		demo_stat(o, k, (double)t[i].faults);
	}
	if (o->json) {
		demo_stat(o, "seconds", elapsed);
		demo_stat(o, "iotlb_translations", (double)tr);
		demo_stat(o, "iotlb_hit_rate", rate);
		demo_stat(o, "vtd_fault_records", (double)s1.faults);
	}

	/* The DSA's PASID table: RID_PASID for the kernel, one entry per
	 * tenant's aux domain. */
	if (demo_field(o, "pasid_table"))
		printf("The PASID table of dsa0, as the remapping hardware reads it:\n\n");
	intel_dump(h, stdout, "dsa0", o->json, 4);

	ok = bad == 0 && held;
	demo_done(o, ok);
	for (int i = 0; i < NR_TENANTS; i++)
		tenant_close(&t[i]);
	return ok ? 0 : 1;
}
