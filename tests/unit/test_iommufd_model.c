/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A model-based test of the IOAS (SPEC U-3, U-5): random sequences of
 * MAP, MAP_FILE, COPY, UNMAP, ALLOW_IOVAS and device attach/detach, each
 * checked against a small reference model - the errno, the areas the
 * IOAS holds, the pages pinned - and, while the dmatest engine is
 * attached, DMA through the VT-d model: every mapped IOVA reaches exactly
 * the model's byte, read-only mappings refuse writes, and unmapped IOVA
 * faults.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <unistd.h>

#include "iommufd_utils.h"

#define PG 4096ull
#define POOL 128                  /* pages of anonymous and of file memory */
#define WIN_BASE (1ull << 24)     /* the IOVA window fixed maps use */
#define WIN_PAGES 512
#define MAX_AREAS 256
#define STEPS 1500

struct marea {
	uint64_t iova, len;
	uint8_t *host;     /* where the bytes are (the client's view) */
	int prot;
	unsigned run;      /* the MAP call whose pages these are (COPY shares) */
	uint64_t run_off;  /* byte offset of iova's page in that run */
};

struct model {
	struct marea a[MAX_AREAS];
	unsigned n;
	struct iommu_iova_range allowed[2];
	unsigned nallowed;
	bool attached;
};

struct rig {
	struct ifd t;
	struct device *d;
	struct iommufd_device *idev;
	uint32_t dev, ioas, src;
	uint8_t *pool, *fpool;
	int mfd;
	struct model m, srcm;
	unsigned runs;
	unsigned seed;
};

static unsigned rnd(struct rig *r, unsigned n)
{
	r->seed = r->seed * 1103515245u + 12345u;
	return (r->seed >> 8) % n;
}

static bool overlaps(const struct model *m, uint64_t iova, uint64_t len)
{
	for (unsigned i = 0; i < m->n; i++)
		if (iova < m->a[i].iova + m->a[i].len && m->a[i].iova < iova + len)
			return true;
	return false;
}

/* The reserved IOVA while attached: the interrupt window and everything
 * past the 48-bit aperture. */
static bool reserved(const struct model *m, uint64_t iova, uint64_t len)
{
	if (!m->attached)
		return false;
	uint64_t last = iova + len - 1;
	return (iova <= 0xfeefffffull && last >= 0xfee00000ull) || last >= (1ull << 48);
}

static void add(struct model *m, struct marea a)
{
	assert_true(m->n < MAX_AREAS);
	m->a[m->n++] = a;
}

static int prot_of(unsigned flags)
{
	return ((flags & IOMMU_IOAS_MAP_READABLE) ? IOMMU_READ : 0) |
	       ((flags & IOMMU_IOAS_MAP_WRITEABLE) ? IOMMU_WRITE : 0);
}

/* ---- operations ---- */

static uint64_t pick_iova(struct rig *r, uint64_t len)
{
	/* Mostly inside the window, now and then across the interrupt
	 * window to meet the reserved range. */
	if (rnd(r, 20) == 0)
		return 0xfee00000ull - PG * rnd(r, 4);
	return WIN_BASE + PG * rnd(r, WIN_PAGES - (unsigned)(len / PG));
}

static void op_map(struct rig *r, bool file)
{
	unsigned npages = 1 + rnd(r, 8), off = rnd(r, POOL - npages);
	uint64_t len = npages * PG;
	bool fixed = rnd(r, 3) != 0;
	unsigned flags = IOMMU_IOAS_MAP_READABLE | (rnd(r, 4) ? IOMMU_IOAS_MAP_WRITEABLE : 0) |
			 (fixed ? IOMMU_IOAS_MAP_FIXED_IOVA : 0);
	uint64_t iova = fixed ? pick_iova(r, len) : 0;
	int want = 0;
	if (fixed && reserved(&r->m, iova, len))
		want = -EINVAL;
	else if (fixed && overlaps(&r->m, iova, len))
		want = -EEXIST;
	uint64_t before = ioas_state(&r->t, r->ioas);
	int rc = file ? ioas_map_file(r->t.fd, r->ioas, r->mfd, off * PG, len, &iova, flags) :
			ioas_map(r->t.fd, r->ioas, r->pool + off * PG, len, &iova, flags);
	if (!fixed && rc == -ENOSPC)
		return; /* the allowed ranges may be full */
	assert_int_equal(rc, want);
	if (rc) {
		assert_int_equal(ioas_state(&r->t, r->ioas), before);
		return;
	}
	/* An automatic IOVA is free, outside reserved, inside allowed. */
	assert_false(overlaps(&r->m, iova, len));
	assert_false(reserved(&r->m, iova, len));
	assert_true(iova != 0 && iova % PG == 0);
	if (!fixed && r->m.nallowed) {
		bool in = false;
		for (unsigned i = 0; i < r->m.nallowed; i++)
			in |= iova >= r->m.allowed[i].start &&
			      iova + len - 1 <= r->m.allowed[i].last;
		assert_true(in);
	}
	add(&r->m, (struct marea){ .iova = iova, .len = len,
				   .host = (file ? r->fpool : r->pool) + off * PG,
				   .prot = prot_of(flags), .run = ++r->runs, .run_off = 0 });
}

/* The source IOAS's areas covering [src, +len) back to back, or NULL. */
static bool src_covered(struct rig *r, uint64_t src, uint64_t len)
{
	uint64_t at = src;
	while (at < src + len) {
		unsigned i;
		for (i = 0; i < r->srcm.n; i++)
			if (r->srcm.a[i].iova <= at && at < r->srcm.a[i].iova + r->srcm.a[i].len)
				break;
		if (i == r->srcm.n)
			return false;
		at = r->srcm.a[i].iova + r->srcm.a[i].len;
	}
	return true;
}

static void op_copy(struct rig *r)
{
	unsigned k = rnd(r, r->srcm.n);
	/* A slice of one source area, sometimes running past it. */
	uint64_t src = r->srcm.a[k].iova + PG * rnd(r, (unsigned)(r->srcm.a[k].len / PG));
	uint64_t len = PG * (1 + rnd(r, 6));
	uint64_t iova = pick_iova(r, len);
	int want = 0;
	if (!src_covered(r, src, len))
		want = -ENOENT;
	else if (reserved(&r->m, iova, len))
		want = -EINVAL;
	else if (overlaps(&r->m, iova, len))
		want = -EEXIST;
	uint64_t before = ioas_state(&r->t, r->ioas);
	uint64_t dst = iova;
	int rc = ioas_copy(r->t.fd, r->ioas, r->src, src, len, &dst,
			   IOMMU_IOAS_MAP_FIXED_IOVA | MAP_RW);
	assert_int_equal(rc, want);
	if (rc) {
		assert_int_equal(ioas_state(&r->t, r->ioas), before);
		return;
	}
	/* One area per source area the slice crosses, each sharing its run. */
	uint64_t at = src;
	while (at < src + len) {
		unsigned i;
		for (i = 0; i < r->srcm.n; i++)
			if (r->srcm.a[i].iova <= at && at < r->srcm.a[i].iova + r->srcm.a[i].len)
				break;
		struct marea *s = &r->srcm.a[i];
		uint64_t end = s->iova + s->len < src + len ? s->iova + s->len : src + len;
		add(&r->m, (struct marea){ .iova = iova + (at - src), .len = end - at,
					   .host = s->host + (at - s->iova),
					   .prot = IOMMU_READ | IOMMU_WRITE, .run = s->run,
					   .run_off = s->run_off + (at - s->iova) });
		at = end;
	}
}

static void op_unmap(struct rig *r)
{
	uint64_t iova, len;
	if (r->m.n && rnd(r, 3)) {
		/* An area, or a few, exactly - or off by a page. */
		unsigned k = rnd(r, r->m.n);
		iova = r->m.a[k].iova;
		len = r->m.a[k].len + PG * rnd(r, 16);
		if (rnd(r, 4) == 0)
			iova += PG;
	} else {
		iova = WIN_BASE + PG * rnd(r, WIN_PAGES);
		len = PG * (1 + rnd(r, 64));
	}
	uint64_t expect = 0;
	int want = 0;
	for (unsigned i = 0; i < r->m.n; i++) {
		struct marea *a = &r->m.a[i];
		if (!(iova < a->iova + a->len && a->iova < iova + len))
			continue;
		if (a->iova < iova || a->iova + a->len > iova + len)
			want = -ENOENT;
		expect += a->len;
	}
	if (!expect)
		want = -ENOENT;
	uint64_t before = ioas_state(&r->t, r->ioas), got;
	int rc = ioas_unmap(r->t.fd, r->ioas, iova, len, &got);
	assert_int_equal(rc, want);
	if (rc) {
		assert_int_equal(ioas_state(&r->t, r->ioas), before);
		return;
	}
	assert_int_equal(got, expect);
	for (unsigned i = 0; i < r->m.n;) {
		if (r->m.a[i].iova >= iova && r->m.a[i].iova < iova + len)
			r->m.a[i] = r->m.a[--r->m.n];
		else
			i++;
	}
}

static void op_allow(struct rig *r)
{
	struct iommu_iova_range rr[2];
	unsigned n = rnd(r, 3);
	for (unsigned i = 0; i < n; i++) {
		uint64_t s = rnd(r, 8) == 0 ? 0xfed00000ull : WIN_BASE + PG * rnd(r, WIN_PAGES);
		rr[i] = (struct iommu_iova_range){ .start = s,
						   .last = s + PG * (1 + rnd(r, 256)) - 1 };
	}
	int want = 0;
	if (n == 2 && rr[0].start <= rr[1].last && rr[1].start <= rr[0].last)
		want = -EINVAL;
	for (unsigned i = 0; i < n && !want; i++)
		if (reserved(&r->m, rr[i].start, rr[i].last - rr[i].start + 1))
			want = -EADDRINUSE;
	uint64_t before = ioas_state(&r->t, r->ioas);
	int rc = ioas_allow(r->t.fd, r->ioas, rr, n);
	assert_int_equal(rc, want);
	if (rc) {
		assert_int_equal(ioas_state(&r->t, r->ioas), before);
		return;
	}
	memcpy(r->m.allowed, rr, sizeof(rr));
	r->m.nallowed = n;
}

static void op_attach(struct rig *r)
{
	if (r->m.attached) {
		iommufd_device_detach(r->idev, IOMMU_NO_PASID);
		r->m.attached = false;
		return;
	}
	/* Attaching reserves the interrupt window and the top: blocked by an
	 * area or an allowed range there. */
	r->m.attached = true;
	int want = 0;
	for (unsigned i = 0; i < r->m.n; i++)
		if (reserved(&r->m, r->m.a[i].iova, r->m.a[i].len))
			want = -EADDRINUSE;
	for (unsigned i = 0; i < r->m.nallowed; i++)
		if (reserved(&r->m, r->m.allowed[i].start,
			     r->m.allowed[i].last - r->m.allowed[i].start + 1))
			want = -EADDRINUSE;
	uint64_t before = ioas_state(&r->t, r->ioas);
	uint32_t pt = r->ioas;
	int rc = iommufd_device_attach(r->idev, IOMMU_NO_PASID, &pt);
	assert_int_equal(rc, want);
	if (rc) {
		r->m.attached = false;
		assert_int_equal(ioas_state(&r->t, r->ioas), before);
	}
}

/* ---- checks ---- */

static int cmp_iova(const void *a, const void *b)
{
	const struct marea *x = a, *y = b;
	return x->iova < y->iova ? -1 : x->iova > y->iova;
}

/* The IOAS holds exactly the model's areas, each at its pages. */
static void check_areas(struct rig *r)
{
	qsort(r->m.a, r->m.n, sizeof(r->m.a[0]), cmp_iova);
	struct io_pagetable *iopt = &ioas_of(&r->t, r->ioas)->iopt;
	pthread_rwlock_rdlock(&iopt->iova_rwsem);
	unsigned i = 0;
	for (struct iopt_area *a = iopt_area_iter_first(iopt, 0, UINT64_MAX); a;
	     a = iopt_area_iter_next(a, 0, UINT64_MAX), i++) {
		assert_true(i < r->m.n);
		assert_int_equal(iopt_area_iova(a), r->m.a[i].iova);
		assert_int_equal(iopt_area_length(a), r->m.a[i].len);
		assert_int_equal(a->iommu_prot, r->m.a[i].prot);
	}
	assert_int_equal(i, r->m.n);
	pthread_rwlock_unlock(&iopt->iova_rwsem);
}

/* Pins: each run's distinct pages while a domain needs them. */
static void check_pins(struct rig *r)
{
	uint64_t want = 0;
	if (r->m.attached) {
		static uint8_t seen[2 * MAX_AREAS + 64][POOL];
		memset(seen, 0, sizeof(seen));
		for (unsigned i = 0; i < r->m.n; i++) {
			struct marea *a = &r->m.a[i];
			for (uint64_t p = a->run_off / PG; p <= (a->run_off + a->len - 1) / PG; p++)
				if (!seen[a->run][p]++)
					want++;
		}
	}
	assert_int_equal(uiommu_pinned_pages(), want);
}

static bool dma(struct rig *r, uint64_t iova, uint8_t *v, bool write)
{
	return th_kdma(r->d, PCI_NO_PASID, iova, v, 1, write, NULL) == 0;
}

static void check_dma(struct rig *r, unsigned samples)
{
	if (!r->m.attached)
		return;
	for (unsigned s = 0; s < samples && r->m.n; s++) {
		struct marea *a = &r->m.a[rnd(r, r->m.n)];
		uint64_t off = rnd(r, (unsigned)a->len);
		uint8_t v = (uint8_t)(1 + rnd(r, 255));
		if (a->prot & IOMMU_WRITE) {
			assert_true(dma(r, a->iova + off, &v, true));
			assert_int_equal(a->host[off], v);
		} else {
			assert_false(dma(r, a->iova + off, &v, true));
		}
		uint8_t back = 0;
		assert_true(dma(r, a->iova + off, &back, false));
		assert_int_equal(back, a->host[off]);
	}
	/* Unmapped IOVA in the window faults. */
	uint64_t hole = WIN_BASE + PG * rnd(r, WIN_PAGES) + rnd(r, (unsigned)PG);
	if (!overlaps(&r->m, hole, 1)) {
		uint8_t v;
		assert_false(dma(r, hole, &v, false));
	}
}

/* A place for `len` bytes on a 2 MiB boundary: automatic IOVAs follow the
 * user address's alignment, so the run is the same on every start
 * (the random sequence is fixed; where mmap puts things is not). */
static void *aligned_spot(size_t len)
{
	size_t big = len + (2u << 20);
	uint8_t *p = mmap(NULL, big, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(p != MAP_FAILED);
	uint8_t *a = (uint8_t *)(((uintptr_t)p + (2u << 20) - 1) & ~(uintptr_t)((2u << 20) - 1));
	if (a > p)
		munmap(p, (size_t)(a - p));
	munmap(a + len, (size_t)(p + big - (a + len)));
	return a;
}

static void rig_init(struct rig *r)
{
	memset(r, 0, sizeof(*r));
	r->seed = 12345;
	ifd_open(&r->t);
	r->d = th_device(r->t.h, "dmatest0");
	int err;
	r->idev = iommufd_device_bind(r->t.ictx, r->d, &r->dev, &err);
	assert_non_null(r->idev);
	assert_int_equal(ioas_alloc(r->t.fd, &r->ioas), 0);
	assert_int_equal(ioas_alloc(r->t.fd, &r->src), 0);
	r->pool = mmap(aligned_spot(POOL * PG), POOL * PG, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	assert_true(r->pool != MAP_FAILED);
	r->mfd = memfd_create("model", 0);
	assert_int_equal(ftruncate(r->mfd, POOL * PG), 0);
	r->fpool = mmap(aligned_spot(POOL * PG), POOL * PG, PROT_READ | PROT_WRITE,
			MAP_SHARED | MAP_FIXED, r->mfd, 0);
	assert_true(r->fpool != MAP_FAILED);
	for (unsigned i = 0; i < POOL * PG; i++) {
		r->pool[i] = (uint8_t)(i * 7);
		r->fpool[i] = (uint8_t)(i * 13);
	}
	/* COPY's sources: four areas of the source IOAS, two of them
	 * adjacent, user and file memory. */
	uint64_t s = 1ull << 32;
	for (unsigned k = 0; k < 4; k++) {
		bool file = k & 1;
		uint64_t len = (4 + k) * PG, iova = s + (k == 2 ? 0 : PG * 64 * k);
		if (k == 2)
			iova = r->srcm.a[1].iova + r->srcm.a[1].len;
		uint8_t *host = (file ? r->fpool : r->pool) + k * 16 * PG;
		int rc = file ? ioas_map_file(r->t.fd, r->src, r->mfd, k * 16 * PG, len, &iova,
					      MAP_RW | IOMMU_IOAS_MAP_FIXED_IOVA) :
				ioas_map_fixed(r->t.fd, r->src, host, len, iova);
		assert_int_equal(rc, 0);
		add(&r->srcm, (struct marea){ .iova = iova, .len = len, .host = host,
					      .prot = IOMMU_READ | IOMMU_WRITE, .run = ++r->runs });
	}
}

static void random_operations(void **state)
{
	(void)state;
	struct rig r;
	rig_init(&r);
	unsigned attached_steps = 0;
	for (unsigned step = 0; step < STEPS; step++) {
		switch (rnd(&r, 10)) {
		case 0:
		case 1:
		case 2:
			op_map(&r, false);
			break;
		case 3:
			op_map(&r, true);
			break;
		case 4:
			op_copy(&r);
			break;
		case 5:
		case 6:
		case 7:
			op_unmap(&r);
			break;
		case 8:
			op_allow(&r);
			break;
		case 9:
			if (rnd(&r, 3) == 0)
				op_attach(&r);
			break;
		}
		attached_steps += r.m.attached;
		check_areas(&r);
		check_pins(&r);
		check_dma(&r, step % 100 == 0 ? r.m.n : 2);
	}
	/* The sequence spent a good part of its time attached (DMA checked). */
	assert_true(attached_steps > STEPS / 4);
	if (r.m.attached)
		iommufd_device_detach(r.idev, IOMMU_NO_PASID);
	assert_int_equal(uiommu_pinned_pages(), 0);
	iommufd_device_unbind(r.idev);
	munmap(r.pool, POOL * PG);
	munmap(r.fpool, POOL * PG);
	close(r.mfd);
	ifd_close(&r.t);
}

/* ---- concurrency: maps, unmaps, accesses and DMA at once ---- */

struct worker {
	struct rig *r;
	unsigned id;
	atomic_bool *stop;
	unsigned done;
};

static void *mapper(void *arg)
{
	struct worker *w = arg;
	uint64_t base = WIN_BASE + (uint64_t)w->id * 64 * PG;
	for (unsigned i = 0; i < 400; i++) {
		unsigned n = 1 + i % 8;
		uint8_t *va = w->id & 1 ? w->r->pool : w->r->fpool;
		int rc = w->id & 1 ? ioas_map_fixed(w->r->t.fd, w->r->ioas, va + (i % 64) * PG,
						    n * PG, base) :
				     ioas_map_file(w->r->t.fd, w->r->ioas, w->r->mfd, (i % 64) * PG,
						   n * PG, &(uint64_t){ base },
						   MAP_RW | IOMMU_IOAS_MAP_FIXED_IOVA);
		if (rc)
			return (void *)(intptr_t)rc;
		rc = ioas_unmap(w->r->t.fd, w->r->ioas, base, n * PG, NULL);
		if (rc)
			return (void *)(intptr_t)rc;
		w->done++;
	}
	return NULL;
}

static void *dma_reader(void *arg)
{
	struct worker *w = arg;
	while (!atomic_load(w->stop)) {
		/* Mapped or not at this instant: either answer is fine, a
		 * crash or a wrong byte is not. */
		uint64_t iova = WIN_BASE + PG * (w->done++ % (4 * 64));
		uint8_t v;
		th_kdma(w->r->d, PCI_NO_PASID, iova, &v, 1, false, NULL);
	}
	return NULL;
}

static void concurrent_maps(void **state)
{
	(void)state;
	struct rig r;
	rig_init(&r);
	uint32_t pt = r.ioas;
	assert_int_equal(iommufd_device_attach(r.idev, IOMMU_NO_PASID, &pt), 0);
	atomic_bool stop = false;
	struct worker w[5];
	pthread_t th[5];
	for (unsigned i = 0; i < 5; i++) {
		w[i] = (struct worker){ .r = &r, .id = i, .stop = &stop };
		assert_int_equal(pthread_create(&th[i], NULL, i < 4 ? mapper : dma_reader, &w[i]), 0);
	}
	for (unsigned i = 0; i < 4; i++) {
		void *ret;
		pthread_join(th[i], &ret);
		assert_null(ret);
		assert_int_equal(w[i].done, 400);
	}
	atomic_store(&stop, true);
	pthread_join(th[4], NULL);
	check_areas(&r);
	assert_int_equal(uiommu_pinned_pages(), 0);
	iommufd_device_detach(r.idev, IOMMU_NO_PASID);
	iommufd_device_unbind(r.idev);
	munmap(r.pool, POOL * PG);
	munmap(r.fpool, POOL * PG);
	close(r.mfd);
	ifd_close(&r.t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(random_operations),
		cmocka_unit_test(concurrent_maps),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
