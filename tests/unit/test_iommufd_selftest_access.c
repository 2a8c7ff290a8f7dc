/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IOMMU_TEST_CMD's access objects and dma-buf exporter (SPEC U-6, U-15):
 * CREATE_ACCESS hands out a descriptor; pins through it are items the
 * core takes back on IOAS_UNMAP; reads and writes go through the IOAS;
 * closing the descriptor destroys the access. DMABUF_GET exports a buffer
 * MAP_FILE maps into domains, and DMABUF_REVOKE takes it out of them.
 */
#include <unistd.h>

#include "selftest_utils.h"

#define BUF_SIZE (16 * 4096ul)

static int create_access(int fd, uint32_t ioas, uint32_t flags, int *afd)
{
	struct iommu_test_cmd c = { .op = IOMMU_TEST_OP_CREATE_ACCESS, .id = ioas,
				    .create_access = { .flags = flags } };
	int rc = test_cmd(fd, &c);
	*afd = rc ? -1 : (int)c.create_access.out_access_fd;
	return rc;
}

static int access_pages(int fd, int afd, uint64_t iova, uint64_t len, void *uptr,
			uint32_t flags, uint32_t *item)
{
	struct iommu_test_cmd c = { .op = IOMMU_TEST_OP_ACCESS_PAGES, .id = (uint32_t)afd,
				    .access_pages = { .flags = flags, .iova = iova, .length = len,
						      .uptr = (uintptr_t)uptr } };
	int rc = test_cmd(fd, &c);
	if (item)
		*item = rc ? UINT32_MAX : c.access_pages.out_access_pages_id;
	return rc;
}

static int destroy_item(int fd, int afd, uint32_t item)
{
	struct iommu_test_cmd c = { .op = IOMMU_TEST_OP_DESTROY_ACCESS_PAGES, .id = (uint32_t)afd,
				    .destroy_access_pages = { .access_pages_id = item } };
	return test_cmd(fd, &c);
}

static int access_rw(int fd, int afd, uint64_t iova, void *buf, uint64_t len, uint32_t flags)
{
	struct iommu_test_cmd c = { .op = IOMMU_TEST_OP_ACCESS_RW, .id = (uint32_t)afd,
				    .access_rw = { .iova = iova, .length = len,
						   .uptr = (uintptr_t)buf, .flags = flags } };
	return test_cmd(fd, &c);
}

/* Pins through an access: items with IDs, checked against the user's
 * pages, counted as pins, and taken back when the user unmaps. */
static void test_access_pages(void **s)
{
	(void)s;
	struct ifd t;
	st_open(&t);
	uint32_t ioas, item, item2;
	int afd, plain;
	assert_int_equal(ioas_alloc(t.fd, &ioas), 0);
	assert_int_equal(create_access(t.fd, ioas, 2, &afd), -EOPNOTSUPP);
	assert_int_equal(create_access(t.fd, ioas + 7, 0, &afd), -ENOENT);
	assert_int_equal(create_access(t.fd, ioas, MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES, &afd),
			 0);
	assert_true(uiommu_is_file(afd));
	assert_int_equal(create_access(t.fd, ioas, 0, &plain), 0);
	uint8_t *buf = buf_alloc(BUF_SIZE);
	uint64_t iova = MOCK_APERTURE_START;
	assert_int_equal(ioas_map_fixed(t.fd, ioas, buf, BUF_SIZE, iova), 0);
	assert_int_equal(check_refs(t.fd, buf, BUF_SIZE, 0), 0); /* no domain: not pinned */
	assert_int_equal(access_pages(t.fd, plain, iova, 4096, buf, 0, &item), -EOPNOTSUPP);
	assert_int_equal(access_pages(t.fd, t.fd, iova, 4096, buf, 0, &item), -EBADFD);
	assert_int_equal(access_pages(t.fd, afd, iova, 4096, buf, 1u << 3, &item), -EOPNOTSUPP);
	assert_int_equal(access_pages(t.fd, afd, iova, 32 << 20, buf, 0, &item), -ENOMEM);
	assert_int_equal(access_pages(t.fd, afd, iova, 4096, buf + 4096, 0, &item), -EBADE);
	assert_int_equal(access_pages(t.fd, afd, iova + BUF_SIZE, 4096, NULL, 0, &item), -ENOENT);
	assert_int_equal(check_refs(t.fd, buf, BUF_SIZE, 0), 0);
	assert_int_equal(access_pages(t.fd, afd, iova + 4096, 2 * 4096, buf + 4096,
				      MOCK_FLAGS_ACCESS_WRITE, &item),
			 0);
	assert_int_equal(access_pages(t.fd, afd, iova + 4096, 4096, buf + 4096, 0, &item2), 0);
	assert_int_not_equal(item, item2);
	assert_int_equal(check_refs(t.fd, buf + 4096, 2 * 4096, 1), 0);
	/* The fuzzers' form: {n-th area, offset}; the second area is none. */
	uint32_t item3;
	assert_int_equal(access_pages(t.fd, afd, 2, 4096, buf + 8192,
				      MOCK_FLAGS_ACCESS_SYZ, &item3),
			 -ENOENT);
	assert_int_equal(access_pages(t.fd, afd, 8192ull << 32, 4096, buf + 8192,
				      MOCK_FLAGS_ACCESS_SYZ, &item3),
			 0);
	assert_int_equal(destroy_item(t.fd, afd, item3), 0);
	assert_int_equal(destroy_item(t.fd, afd, item2), 0);
	assert_int_equal(destroy_item(t.fd, afd, item2), -ENOENT);
	/* Unmapping takes the remaining pin back through the callback. */
	assert_int_equal(ioas_unmap(t.fd, ioas, iova, BUF_SIZE, NULL), 0);
	assert_int_equal(destroy_item(t.fd, afd, item), -ENOENT);
	assert_int_equal(check_refs(t.fd, buf, BUF_SIZE, 0), 0);
	/* Closing the descriptor destroys the access and its pins. */
	assert_int_equal(ioas_map_fixed(t.fd, ioas, buf, BUF_SIZE, iova), 0);
	assert_int_equal(access_pages(t.fd, afd, iova, BUF_SIZE, buf, 0, &item), 0);
	assert_int_equal(obj_destroy(t.fd, ioas), -EBUSY);
	assert_int_equal(uiommu_close(afd), 0);
	assert_int_equal(uiommu_close(plain), 0);
	assert_int_equal(check_refs(t.fd, buf, BUF_SIZE, 0), 0);
	assert_int_equal(obj_destroy(t.fd, ioas), 0);
	munmap(buf, BUF_SIZE);
	ifd_close(&t);
}

/* Copies through an access, on both paths, at any offset; REPLACE_IOAS
 * moves it. */
static void test_access_rw_and_replace(void **s)
{
	(void)s;
	struct ifd t;
	st_open(&t);
	uint32_t ioas, ioas2;
	int afd;
	assert_int_equal(ioas_alloc(t.fd, &ioas), 0);
	assert_int_equal(ioas_alloc(t.fd, &ioas2), 0);
	assert_int_equal(create_access(t.fd, ioas, 0, &afd), 0);
	uint8_t *buf = buf_alloc(BUF_SIZE);
	for (unsigned i = 0; i < BUF_SIZE; i++)
		buf[i] = (uint8_t)(i * 7);
	uint64_t iova = MOCK_APERTURE_START + MOCK_PAGE_SIZE;
	assert_int_equal(ioas_map_fixed(t.fd, ioas, buf, BUF_SIZE, iova), 0);
	uint8_t tmp[64];
	for (uint32_t flags = 0; flags <= MOCK_ACCESS_RW_SLOW_PATH; flags += MOCK_ACCESS_RW_SLOW_PATH) {
		assert_int_equal(access_rw(t.fd, afd, iova + 4090, tmp, 20, flags), 0);
		assert_memory_equal(tmp, buf + 4090, 20);
		memset(tmp, 0xab, sizeof(tmp));
		assert_int_equal(access_rw(t.fd, afd, iova + 4090, tmp, 20,
					   flags | MOCK_ACCESS_RW_WRITE),
				 0);
		assert_memory_equal(buf + 4090, tmp, 20);
	}
	assert_int_equal(access_rw(t.fd, afd, iova + BUF_SIZE - 4, tmp, 8, 0), -ENOENT);
	assert_int_equal(access_rw(t.fd, afd, iova, tmp, 8, 1u << 1), -EOPNOTSUPP);
	assert_int_equal(access_rw(t.fd, afd, iova, (void *)8, 8, MOCK_ACCESS_RW_WRITE), -EFAULT);
	struct iommu_test_cmd c = { .op = IOMMU_TEST_OP_ACCESS_REPLACE_IOAS, .id = (uint32_t)afd,
				    .access_replace_ioas = { .ioas_id = ioas2 } };
	assert_int_equal(test_cmd(t.fd, &c), 0);
	assert_int_equal(access_rw(t.fd, afd, iova, tmp, 8, 0), -ENOENT);
	assert_int_equal(obj_destroy(t.fd, ioas), 0);
	c.access_replace_ioas.ioas_id = ioas;
	assert_int_equal(test_cmd(t.fd, &c), -ENOENT);
	assert_int_equal(uiommu_close(afd), 0);
	munmap(buf, BUF_SIZE);
	ifd_close(&t);
}

static int dmabuf_get(int fd, uint32_t len)
{
	struct iommu_test_cmd c = { .op = IOMMU_TEST_OP_DMABUF_GET,
				    .dmabuf_get = { .length = len, .open_flags = O_CLOEXEC } };
	return test_cmd(fd, &c);
}

static int dmabuf_revoke(int fd, int dfd, bool revoked)
{
	struct iommu_test_cmd c = { .op = IOMMU_TEST_OP_DMABUF_REVOKE,
				    .dmabuf_revoke = { .dmabuf_fd = dfd, .revoked = revoked } };
	return test_cmd(fd, &c);
}

static uint64_t domain_phys(struct ifd *t, uint32_t hwpt, uint64_t iova)
{
	int err;
	struct iommufd_hw_pagetable *h = (struct iommufd_hw_pagetable *)iommufd_get_object(
		t->ictx, hwpt, IOMMUFD_OBJ_HWPT_PAGING, &err);
	assert_non_null(h);
	uint64_t pa = iommu_iova_to_phys(h->domain, iova);
	iommufd_put_object(t->ictx, &h->obj);
	return pa;
}

/* A dma-buf of the selftest's: mapped into domains as the exporter's
 * memory (no pins), out of them when revoked, unmappable again only
 * after it is restored. */
static void test_dmabuf(void **s)
{
	(void)s;
	struct ifd t;
	st_open(&t);
	uint32_t ioas, idev, hwpt, hwpt2;
	assert_int_equal(ioas_alloc(t.fd, &ioas), 0);
	assert_int_equal(mock_domain(t.fd, ioas, 0, NULL, &hwpt, &idev), 0);
	assert_int_equal(dmabuf_get(t.fd, 0), -EINVAL);
	assert_int_equal(dmabuf_get(t.fd, 513 * 4096), -EINVAL);
	int dfd = dmabuf_get(t.fd, 4 * 4096 - 10);
	assert_true(dfd > 0 && uiommu_is_file(dfd));
	uint64_t iova = 0, iova2 = 0, iova3 = 0;
	assert_int_equal(ioas_map_file(t.fd, ioas, dfd, 0, 0, &iova, MAP_RW), -EINVAL);
	assert_int_equal(ioas_map_file(t.fd, ioas, dfd, 4 * 4096, 4096, &iova, MAP_RW), -EINVAL);
	assert_int_equal(ioas_map_file(t.fd, ioas, dfd, 0, 4 * 4096 + 1, &iova, MAP_RW), -EINVAL);
	assert_int_equal(ioas_map_file(t.fd, ioas, dfd, 4096, 2 * 4096, &iova, MAP_RW), 0);
	uint64_t pa = domain_phys(&t, hwpt, iova);
	assert_int_not_equal(pa, 0);
	assert_int_equal(domain_phys(&t, hwpt, iova + 4096), pa + 4096);
	assert_int_equal(uiommu_pinned_pages(), 0);
	/* An access cannot pin the exporter's memory. */
	int afd;
	assert_int_equal(create_access(t.fd, ioas, 0, &afd), 0);
	uint8_t tmp[8];
	assert_int_equal(access_rw(t.fd, afd, iova, tmp, 8, 0), -EINVAL);
	assert_int_equal(uiommu_close(afd), 0);
	/* Revoked: out of the domain, and of one added later; no new maps. */
	assert_int_equal(dmabuf_revoke(t.fd, dfd, true), 0);
	assert_int_equal(domain_phys(&t, hwpt, iova), 0);
	assert_int_equal(hwpt_alloc(t.fd, idev, ioas, 0, 0, NULL, 0, &hwpt2), 0);
	assert_int_equal(domain_phys(&t, hwpt2, iova), 0);
	assert_int_equal(ioas_map_file(t.fd, ioas, dfd, 0, 4096, &iova2, MAP_RW), -ENODEV);
	/* Restored: a new mapping works; the revoked one stays revoked. */
	assert_int_equal(dmabuf_revoke(t.fd, dfd, false), 0);
	assert_int_equal(domain_phys(&t, hwpt, iova), 0);
	assert_int_equal(ioas_map_file(t.fd, ioas, dfd, 0, 4096, &iova2, MAP_RW), 0);
	assert_int_equal(domain_phys(&t, hwpt, iova2), pa - 4096);
	assert_int_equal(domain_phys(&t, hwpt2, iova2), pa - 4096);
	assert_int_equal(ioas_unmap(t.fd, ioas, iova, 2 * 4096, NULL), 0);
	assert_int_equal(ioas_map_file(t.fd, ioas, dfd, 4096, 2 * 4096, &iova, MAP_RW |
				       IOMMU_IOAS_MAP_FIXED_IOVA),
			 0);
	assert_int_equal(domain_phys(&t, hwpt, iova), pa);
	/* The exporter's checks: a descriptor of its own only. */
	assert_int_equal(dmabuf_revoke(t.fd, t.fd, true), -EINVAL);
	assert_int_equal(dmabuf_revoke(t.fd, 1000000, true), -EBADF);
	/* The buffer lives on while mapped. */
	assert_int_equal(uiommu_close(dfd), 0);
	assert_int_equal(ioas_map_file(t.fd, ioas, dfd, 0, 4096, &iova3, MAP_RW), -EBADF);
	assert_int_equal(domain_phys(&t, hwpt, iova), pa);
	assert_int_equal(obj_destroy(t.fd, hwpt2), 0);
	ifd_close(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_access_pages),
		cmocka_unit_test(test_access_rw_and_replace),
		cmocka_unit_test(test_dmabuf),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
