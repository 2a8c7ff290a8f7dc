/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ACCESS objects (SPEC U-6, U-3): a software device pins pages of an IOAS
 * and gets their addresses, shares identical pins, copies through the
 * IOAS, and is told to let go when the user unmaps; pins are counted
 * process-wide once per run of pages, however many holders.
 */
#include <unistd.h>

#include "iommufd_utils.h"
#include "mm/mm.h"

#define PG 4096ull
#define BASE (1ull << 24)
#define NPAGES 16

/* A software device: pins what it is asked to, and drops all it holds in
 * a range when told of an unmap. */
struct swdev {
	struct iommufd_access *access;
	uint32_t id;
	struct {
		uint64_t iova, len;
	} pins[32];
	unsigned npins;
	unsigned unmap_calls;
};

static void sw_unmap(void *data, uint64_t iova, uint64_t length)
{
	struct swdev *s = data;
	s->unmap_calls++;
	for (unsigned i = 0; i < s->npins;) {
		if (s->pins[i].iova >= iova && s->pins[i].iova - iova < length) {
			iommufd_access_unpin_pages(s->access, s->pins[i].iova, s->pins[i].len);
			s->pins[i] = s->pins[--s->npins];
		} else {
			i++;
		}
	}
}

static const struct iommufd_access_ops sw_ops = { .needs_pin_pages = true, .unmap = sw_unmap };
static const struct iommufd_access_ops rw_ops = { .needs_pin_pages = false };

static int sw_pin(struct swdev *s, uint64_t iova, uint64_t len, void **pages, unsigned flags)
{
	int rc = iommufd_access_pin_pages(s->access, iova, len, pages, flags);
	if (!rc)
		s->pins[s->npins++] = (typeof(s->pins[0])){ iova, len };
	return rc;
}

static void sw_unpin(struct swdev *s, unsigned i)
{
	iommufd_access_unpin_pages(s->access, s->pins[i].iova, s->pins[i].len);
	s->pins[i] = s->pins[--s->npins];
}

static void pin_and_unpin(void **state)
{
	(void)state;
	struct ifd t;
	ifd_open(&t);
	uint32_t ioas;
	assert_int_equal(ioas_alloc(t.fd, &ioas), 0);
	uint8_t *buf = buf_alloc(NPAGES * PG);
	struct swdev s = { 0 };
	int err;
	s.access = iommufd_access_create(t.ictx, &sw_ops, &s, &s.id, &err);
	assert_non_null(s.access);
	/* Not attached yet. */
	void *pages[NPAGES];
	assert_int_equal(sw_pin(&s, BASE, PG, pages, 0), -ENOENT);
	assert_int_equal(iommufd_access_attach(s.access, ioas), 0);
	assert_int_equal(iommufd_access_attach(s.access, ioas), -EINVAL);
	/* An access that pins makes the IOAS page aligned. */
	assert_int_equal(ioas_of(&t, ioas)->iopt.iova_alignment, PG);
	assert_int_equal(ioas_map_fixed(t.fd, ioas, buf, NPAGES * PG, BASE), 0);
	for (unsigned npages = 1; npages < NPAGES; npages++) {
		assert_int_equal(sw_pin(&s, BASE, npages * PG, pages, 0), 0);
		for (unsigned i = 0; i < npages; i++)
			assert_ptr_equal(pages[i], buf + i * PG);
		assert_int_equal(uiommu_pinned_pages(), npages);
		assert_int_equal(mm_pin_count((uintptr_t)buf), 1);
		/* A second identical pin shares the first. */
		assert_int_equal(sw_pin(&s, BASE, npages * PG, pages, 0), 0);
		assert_int_equal(mm_pin_count((uintptr_t)buf), 1);
		sw_unpin(&s, 0);
		assert_int_equal(uiommu_pinned_pages(), npages);
		sw_unpin(&s, 0);
		assert_int_equal(uiommu_pinned_pages(), 0);
	}
	/* Overlapping pins are separate holders of one pin per page. */
	assert_int_equal(sw_pin(&s, BASE, 4 * PG, pages, 0), 0);
	assert_int_equal(sw_pin(&s, BASE + 2 * PG, 4 * PG, pages, IOMMUFD_ACCESS_RW_WRITE), 0);
	assert_int_equal(uiommu_pinned_pages(), 6);
	sw_unpin(&s, 0);
	assert_int_equal(uiommu_pinned_pages(), 4);
	assert_int_equal(mm_pin_count((uintptr_t)buf), 0);
	assert_int_equal(mm_pin_count((uintptr_t)buf + 2 * PG), 1);
	sw_unpin(&s, 0);
	/* Errors. */
	assert_int_equal(sw_pin(&s, BASE + 8, PG, pages, 0), -EINVAL);
	assert_int_equal(sw_pin(&s, BASE, 0, pages, 0), -EINVAL);
	assert_int_equal(sw_pin(&s, BASE + NPAGES * PG, PG, pages, 0), -ENOENT);
	assert_int_equal(sw_pin(&s, BASE + (NPAGES - 1) * PG, 2 * PG, pages, 0), -ENOENT);
	assert_int_equal(sw_pin(&s, UINT64_MAX - PG + 1, 2 * PG, pages, 0), -EOVERFLOW);
	uint64_t ro = BASE + 64 * PG;
	assert_int_equal(ioas_map(t.fd, ioas, buf, PG, &ro,
				  IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_FIXED_IOVA),
			 0);
	assert_int_equal(sw_pin(&s, ro, PG, pages, IOMMUFD_ACCESS_RW_WRITE), -EPERM);
	assert_int_equal(uiommu_pinned_pages(), 0);
	assert_int_equal(s.npins, 0);
	iommufd_access_destroy(s.access);
	munmap(buf, NPAGES * PG);
	ifd_close(&t);
}

static void unmap_asks_for_the_pages_back(void **state)
{
	(void)state;
	struct ifd t;
	ifd_open(&t);
	uint32_t ioas;
	assert_int_equal(ioas_alloc(t.fd, &ioas), 0);
	uint8_t *buf = buf_alloc(NPAGES * PG);
	struct swdev s = { 0 };
	int err;
	s.access = iommufd_access_create(t.ictx, &sw_ops, &s, &s.id, &err);
	assert_int_equal(iommufd_access_attach(s.access, ioas), 0);
	assert_int_equal(ioas_map_fixed(t.fd, ioas, buf, NPAGES * PG, BASE), 0);
	void *pages[NPAGES];
	assert_int_equal(sw_pin(&s, BASE, NPAGES * PG, pages, 0), 0);
	/* The IOAS is busy while the access uses it. */
	assert_int_equal(obj_destroy(t.fd, ioas), -EBUSY);
	uint64_t n;
	assert_int_equal(ioas_unmap(t.fd, ioas, BASE, NPAGES * PG, &n), 0);
	assert_int_equal(n, NPAGES * PG);
	assert_true(s.unmap_calls >= 1);
	assert_int_equal(s.npins, 0);
	assert_int_equal(uiommu_pinned_pages(), 0);
	/* Replacing the IOAS drops every pin on the old one first. */
	uint32_t ioas2;
	assert_int_equal(ioas_alloc(t.fd, &ioas2), 0);
	assert_int_equal(ioas_map_fixed(t.fd, ioas, buf, NPAGES * PG, BASE), 0);
	assert_int_equal(sw_pin(&s, BASE, PG, pages, 0), 0);
	unsigned calls = s.unmap_calls;
	assert_int_equal(iommufd_access_replace(s.access, 999), -ENOENT);
	assert_int_equal(s.npins, 1);
	assert_int_equal(iommufd_access_replace(s.access, ioas2), 0);
	assert_int_equal(s.unmap_calls, calls + 1);
	assert_int_equal(s.npins, 0);
	assert_int_equal(sw_pin(&s, BASE, PG, pages, 0), -ENOENT);
	iommufd_access_detach(s.access);
	assert_int_equal(iommufd_access_replace(s.access, ioas), -ENOENT);
	iommufd_access_destroy(s.access);
	munmap(buf, NPAGES * PG);
	ifd_close(&t);
}

static void rw_through_the_ioas(void **state)
{
	(void)state;
	struct ifd t;
	ifd_open(&t);
	uint32_t ioas;
	assert_int_equal(ioas_alloc(t.fd, &ioas), 0);
	uint8_t *buf = buf_alloc(NPAGES * PG);
	struct swdev s = { 0 };
	int err;
	s.access = iommufd_access_create(t.ictx, &rw_ops, &s, &s.id, &err);
	assert_int_equal(iommufd_access_attach(s.access, ioas), 0);
	/* An access that only copies keeps byte granularity: unaligned
	 * mappings work. */
	uint64_t iova = BASE + 2048;
	assert_int_equal(ioas_map_fixed(t.fd, ioas, buf, NPAGES * PG, iova), 0);
	srand(5);
	for (unsigned i = 0; i < NPAGES * PG; i++)
		buf[i] = (uint8_t)rand();
	uint8_t tmp[64];
	for (uint64_t at = iova + PG - 50; at < iova + PG + 50; at++) {
		for (size_t len = 1; len < sizeof(tmp); len++) {
			assert_int_equal(iommufd_access_rw(s.access, at, tmp, len, 0), 0);
			assert_memory_equal(buf + (at - iova), tmp, len);
			for (size_t i = 0; i < len; i++)
				tmp[i] = (uint8_t)rand();
			assert_int_equal(iommufd_access_rw(s.access, at, tmp, len,
							   IOMMUFD_ACCESS_RW_WRITE),
					 0);
			assert_memory_equal(buf + (at - iova), tmp, len);
		}
	}
	/* Across areas, into a hole, beyond a read-only area. */
	uint8_t *big = malloc(NPAGES * PG);
	assert_int_equal(iommufd_access_rw(s.access, iova, big, NPAGES * PG, 0), 0);
	assert_memory_equal(big, buf, NPAGES * PG);
	assert_int_equal(iommufd_access_rw(s.access, iova + NPAGES * PG - 8, tmp, 16, 0), -ENOENT);
	assert_int_equal(iommufd_access_rw(s.access, iova, tmp, 0, 0), -EINVAL);
	uint64_t ro = BASE + 64 * PG;
	assert_int_equal(ioas_map(t.fd, ioas, buf, PG, &ro,
				  IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_FIXED_IOVA),
			 0);
	assert_int_equal(iommufd_access_rw(s.access, ro, tmp, 8, IOMMUFD_ACCESS_RW_WRITE), -EPERM);
	/* A copy-only access cannot pin. */
	void *p[1];
	assert_int_equal(iommufd_access_pin_pages(s.access, BASE, PG, p, 0), -EINVAL);
	/* Nothing was pinned to copy. */
	assert_int_equal(uiommu_pinned_pages(), 0);
	free(big);
	iommufd_access_destroy(s.access);
	munmap(buf, NPAGES * PG);
	ifd_close(&t);
}

/* A user mapping of memory that went away: copies fail cleanly. */
static void rw_of_unmapped_memory(void **state)
{
	(void)state;
	struct ifd t;
	ifd_open(&t);
	uint32_t ioas;
	assert_int_equal(ioas_alloc(t.fd, &ioas), 0);
	uint8_t *buf = buf_alloc(2 * PG);
	struct swdev s = { 0 };
	int err;
	s.access = iommufd_access_create(t.ictx, &sw_ops, &s, &s.id, &err);
	assert_int_equal(iommufd_access_attach(s.access, ioas), 0);
	assert_int_equal(ioas_map_fixed(t.fd, ioas, buf, 2 * PG, BASE), 0);
	munmap(buf, 2 * PG);
	uint8_t tmp[8];
	assert_int_equal(iommufd_access_rw(s.access, BASE, tmp, 8, 0), -EFAULT);
	void *pages[2];
	assert_int_equal(sw_pin(&s, BASE, 2 * PG, pages, 0), -EFAULT);
	assert_int_equal(uiommu_pinned_pages(), 0);
	iommufd_access_destroy(s.access);
	ifd_close(&t);
}

/* A memory file's pages stay reachable after the client unmaps them. */
static void map_file_pages_outlive_the_client(void **state)
{
	(void)state;
	struct ifd t;
	ifd_open(&t);
	uint32_t ioas;
	assert_int_equal(ioas_alloc(t.fd, &ioas), 0);
	int mfd = memfd_create("acc", 0);
	assert_int_equal(ftruncate(mfd, 4 * PG), 0);
	uint8_t *user = mmap(NULL, 4 * PG, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
	memset(user, 0x3c, 4 * PG);
	struct swdev s = { 0 };
	int err;
	s.access = iommufd_access_create(t.ictx, &sw_ops, &s, &s.id, &err);
	assert_int_equal(iommufd_access_attach(s.access, ioas), 0);
	uint64_t iova = 0;
	assert_int_equal(ioas_map_file(t.fd, ioas, mfd, 0, 4 * PG, &iova, MAP_RW), 0);
	void *pages[4];
	assert_int_equal(sw_pin(&s, iova, 4 * PG, pages, IOMMUFD_ACCESS_RW_WRITE), 0);
	/* The pin is on the library's mapping, which the user's resolves to. */
	uint64_t phys;
	assert_int_equal(mm_user_to_phys((uintptr_t)user + PG, &phys), 0);
	assert_int_equal(phys, (uintptr_t)pages[1]);
	assert_int_equal(mm_pin_count(phys), 1);
	munmap(user, 4 * PG);
	close(mfd);
	assert_int_equal(((uint8_t *)pages[3])[100], 0x3c);
	uint8_t tmp[4] = { 1, 2, 3, 4 };
	assert_int_equal(iommufd_access_rw(s.access, iova + 2 * PG, tmp, 4,
					   IOMMUFD_ACCESS_RW_WRITE),
			 0);
	assert_memory_equal((uint8_t *)pages[2], tmp, 4);
	sw_unpin(&s, 0);
	iommufd_access_destroy(s.access);
	ifd_close(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(pin_and_unpin),
		cmocka_unit_test(unmap_asks_for_the_pages_back),
		cmocka_unit_test(rw_through_the_ioas),
		cmocka_unit_test(rw_of_unmapped_memory),
		cmocka_unit_test(map_file_pages_outlive_the_client),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
