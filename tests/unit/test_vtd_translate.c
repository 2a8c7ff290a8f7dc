/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Translation through every PASID-granular translation type and page size
 * (SPEC H-2, H-3, H-4, H-10): second stage 3/4/5-level, first stage 4/5-
 * level, nested, pass-through, with 4 KiB, 2 MiB and 1 GiB pages.
 */
#include <string.h>
#include <sys/mman.h>

#include "harness.h"

/* A region with 1 GiB alignment inside, backed lazily. */
struct big {
	void *map;
	size_t len;
	uint8_t *base;
};

static void big_init(struct big *b)
{
	b->len = 3ull << 30;
	b->map = mmap(NULL, b->len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
		      -1, 0);
	assert_true(b->map != MAP_FAILED);
	b->base = (uint8_t *)ALIGN_UP((uintptr_t)b->map, 1ull << 30);
}

static void big_fini(struct big *b)
{
	munmap(b->map, b->len);
}

/* Write through DMA at iova, check it landed at host; read it back. */
static void roundtrip(struct th *t, uint16_t sid, uint32_t pasid, bool priv, uint64_t iova,
		      uint8_t *host)
{
	struct pci_dma_result r;
	char msg[] = "uiommu translated me";
	char back[sizeof(msg)] = { 0 };
	int rc = th_dma(t, sid, pasid, priv, iova, msg, sizeof(msg), true, &r);
	if (rc)
		fail_msg("DMA write at %#llx: %d, status %d, reason %#x", (unsigned long long)iova, rc,
			 r.status, r.reason);
	assert_memory_equal(host, msg, sizeof(msg));
	assert_int_equal(th_dma(t, sid, pasid, priv, iova, back, sizeof(back), false, &r), 0);
	assert_memory_equal(back, msg, sizeof(msg));
	th_expect_no_fault(t);
}

static void ss_case(unsigned levels, unsigned shift)
{
	struct th t;
	struct big b;
	th_init(&t, NULL);
	big_init(&b);
	th_dev_enable(&t, SID_DMATEST0, false);
	th_context_setup(&t, SID_DMATEST0, 0);
	struct th_pt pt;
	th_pt_init(&t, &pt, levels, false);
	th_pasid_ss(&t, SID_DMATEST0, 0, 7, &pt, 0);

	/* An IOVA high in the space the levels allow, offset inside a page. */
	uint64_t page = 1ull << shift;
	uint64_t iova = (levels == 3 ? 0x40000000ull * 5 : 0x8000000000ull * 3) + 3 * page;
	th_map(&t, &pt, iova, (uint64_t)(uintptr_t)b.base, shift, VTD_SS_R | VTD_SS_W);
	uint64_t off = page - 64 - 5; /* near the end of the page */
	roundtrip(&t, SID_DMATEST0, PCI_NO_PASID, false, iova + off, b.base + off);

	/* The neighbouring page is not mapped: a blocked read, recorded. */
	uint8_t v;
	assert_int_equal(th_read8(&t, SID_DMATEST0, PCI_NO_PASID, iova + page, &v), -EFAULT);
	th_expect_fault(&t, VTD_FR_SM_SS_NOT_PRESENT, iova + page);
	big_fini(&b);
	th_fini(&t);
}

static void test_ss_3level_4k(void **s) { (void)s; ss_case(3, 12); }
static void test_ss_3level_2m(void **s) { (void)s; ss_case(3, 21); }
static void test_ss_3level_1g(void **s) { (void)s; ss_case(3, 30); }
static void test_ss_4level_4k(void **s) { (void)s; ss_case(4, 12); }
static void test_ss_4level_2m(void **s) { (void)s; ss_case(4, 21); }
static void test_ss_4level_1g(void **s) { (void)s; ss_case(4, 30); }
static void test_ss_5level_4k(void **s) { (void)s; ss_case(5, 12); }
static void test_ss_5level_2m(void **s) { (void)s; ss_case(5, 21); }
static void test_ss_5level_1g(void **s) { (void)s; ss_case(5, 30); }

static void fs_case(unsigned levels, unsigned shift)
{
	struct th t;
	struct big b;
	th_init(&t, NULL);
	big_init(&b);
	th_dev_enable(&t, SID_DSA, true);
	th_context_setup(&t, SID_DSA, 0);
	struct th_pt pt;
	th_pt_init(&t, &pt, levels, true);
	th_pasid_fs(&t, SID_DSA, 5, 9, &pt, 0);

	uint64_t page = 1ull << shift;
	/* A canonical upper-half address exercises sign extension too. */
	uint64_t iova = (levels == 5 ? 0xff00000000000000ull : 0xffff800000000000ull) + 7 * page;
	th_map(&t, &pt, iova, (uint64_t)(uintptr_t)b.base, shift,
	       VTD_FS_P | VTD_FS_RW | VTD_FS_US);
	uint64_t off = page / 2 + 13;
	roundtrip(&t, SID_DSA, 5, false, iova + off, b.base + off);
	/* The walk set A on every level and D on the leaf. */
	uint64_t *leaf = th_pte(&pt, iova, (shift - 12) / 9 + 1);
	assert_true(*leaf & VTD_FS_A);
	assert_true(*leaf & VTD_FS_D);
	assert_true(*th_pte(&pt, iova, levels) & VTD_FS_A);

	uint8_t v;
	assert_int_equal(th_read8(&t, SID_DSA, 5, iova + page, &v), -EFAULT);
	th_expect_fault(&t, VTD_FR_SM_FS_P, iova + page);
	big_fini(&b);
	th_fini(&t);
}

static void test_fs_4level_4k(void **s) { (void)s; fs_case(4, 12); }
static void test_fs_4level_2m(void **s) { (void)s; fs_case(4, 21); }
static void test_fs_4level_1g(void **s) { (void)s; fs_case(4, 30); }
static void test_fs_5level_4k(void **s) { (void)s; fs_case(5, 12); }
static void test_fs_5level_2m(void **s) { (void)s; fs_case(5, 21); }
static void test_fs_5level_1g(void **s) { (void)s; fs_case(5, 30); }

/*
 * Nested: a guest owns a first-stage table in its own physical memory; the
 * host's second stage maps guest-physical to host memory. Every FS table
 * pointer and the FS output go through the second stage.
 */
static void nested_case(unsigned fs_shift, unsigned ss_shift)
{
	struct th t;
	struct big b;
	th_init(&t, NULL);
	big_init(&b);
	th_dev_enable(&t, SID_DSA, true);
	th_context_setup(&t, SID_DSA, 0);

	/* Guest memory: 4 GiB of GPA at host b.base, mapped in 1 GiB or
	 * smaller second-stage pages. */
	struct th_pt s2;
	th_pt_init(&t, &s2, 4, false);
	const uint64_t gpa_base = 0x100000000ull;
	uint64_t step = 1ull << ss_shift;
	uint64_t span = ss_shift == 30 ? (1ull << 30) : (4ull << 20);
	for (uint64_t o = 0; o < span; o += step)
		th_map(&t, &s2, gpa_base + o, (uint64_t)(uintptr_t)b.base + o, ss_shift,
		       VTD_SS_R | VTD_SS_W);

	/* The guest builds its 4-level FS table in guest memory (GPA pages
	 * at gpa_base + 0x1000...) mapping gVA 0x7f0000000000 to GPA
	 * gpa_base + 0x200000. */
	uint64_t gva = 0x7f0000000000ull, gpa_data = gpa_base + 0x200000;
	uint64_t *g = (uint64_t *)b.base; /* host view of guest memory */
	uint64_t tbl[4] = { 0x1000, 0x2000, 0x3000, 0x4000 };
	uint64_t fs_leaf_level = (fs_shift - 12) / 9 + 1;
	for (unsigned level = 4; level > fs_leaf_level; level--) {
		uint64_t *t_host = g + tbl[4 - level] / 8;
		unsigned idx = (gva >> (12 + 9 * (level - 1))) & 511;
		t_host[idx] = (gpa_base + tbl[5 - level]) | VTD_FS_P | VTD_FS_RW | VTD_FS_US;
	}
	uint64_t *leaf_tbl = g + tbl[4 - fs_leaf_level] / 8;
	leaf_tbl[(gva >> fs_shift) & 511] = (gpa_data & ~((1ull << fs_shift) - 1)) | VTD_FS_P |
					   VTD_FS_RW | VTD_FS_US |
					   (fs_shift > 12 ? VTD_FS_PS : 0);
	th_pasid_nested(&t, SID_DSA, 3, 11, gpa_base + tbl[0], &s2, 0);

	/* For a 1 GiB guest page the data lands away from the guest's tables. */
	uint64_t off = fs_shift == 30 ? 0x10001234 : 0x234;
	uint64_t gpa_page = gpa_data & ~((1ull << fs_shift) - 1);
	uint8_t *host = b.base + (gpa_page - gpa_base) + off;
	roundtrip(&t, SID_DSA, 3, false, gva + off, host);
	/* The guest's FS leaf got A and D through a writable S2 mapping. */
	uint64_t leaf = leaf_tbl[(gva >> fs_shift) & 511];
	assert_true(leaf & VTD_FS_A);
	assert_true(leaf & VTD_FS_D);

	/* Remove the S2 mapping of the guest's top-level table: the walk of
	 * a new address faults reading the FS pointer through S2. */
	uint64_t *s2e = th_pte(&s2, gpa_base + tbl[0], (ss_shift - 12) / 9 + 1);
	if (ss_shift == 12) {
		*s2e = 0;
		th_inv_iotlb(&t, VTD_INV_IOTLB_DSI, 11, 0, 0);
		uint8_t v;
		assert_int_equal(th_read8(&t, SID_DSA, 3, gva + 0x10000, &v), -EFAULT);
		th_expect_fault(&t, VTD_FR_SM_FS_NEST_RD_PTR, gva + 0x10000);
	}
	big_fini(&b);
	th_fini(&t);
}

static void test_nested_4k_4k(void **s) { (void)s; nested_case(12, 12); }
static void test_nested_2m_4k(void **s) { (void)s; nested_case(21, 12); }
static void test_nested_4k_2m(void **s) { (void)s; nested_case(12, 21); }
static void test_nested_1g_1g(void **s) { (void)s; nested_case(30, 30); }

static void test_pass_through(void **s)
{
	(void)s;
	struct th t;
	th_init(&t, NULL);
	th_dev_enable(&t, SID_DSA, true);
	th_context_setup(&t, SID_DSA, 0);
	th_pasid_pt(&t, SID_DSA, 0, 1);
	th_pasid_pt(&t, SID_DSA, 42, 1);
	uint8_t *buf = th_buf(&t);
	roundtrip(&t, SID_DSA, PCI_NO_PASID, false, (uint64_t)(uintptr_t)buf + 100, buf + 100);
	roundtrip(&t, SID_DSA, 42, false, (uint64_t)(uintptr_t)buf + 7, buf + 7);
	/* H-11/3.14: with a PASID the interrupt window is blocked in PT. */
	uint8_t v;
	assert_int_equal(th_read8(&t, SID_DSA, 42, 0xfee00000, &v), -EFAULT);
	th_expect_fault(&t, VTD_FR_SM_INTR_RANGE, 0xfee00000);
	th_fini(&t);
}

/* H-4: requests without PASID take the context's RID_PASID entry. */
static void test_rid_pasid(void **s)
{
	(void)s;
	struct th t;
	th_init(&t, NULL);
	th_dev_enable(&t, SID_DSA, true);
	th_context_setup(&t, SID_DSA, 0);
	uint8_t *a = th_buf(&t), *b = th_buf(&t);
	struct th_pt pa, pb;
	th_pt_init(&t, &pa, 4, false);
	th_pt_init(&t, &pb, 4, false);
	th_map(&t, &pa, 0x10000, (uint64_t)(uintptr_t)a, 12, VTD_SS_R | VTD_SS_W);
	th_map(&t, &pb, 0x10000, (uint64_t)(uintptr_t)b, 12, VTD_SS_R | VTD_SS_W);
	th_pasid_ss(&t, SID_DSA, 0, 1, &pa, 0);
	th_pasid_ss(&t, SID_DSA, 77, 2, &pb, 0);

	assert_int_equal(th_write8(&t, SID_DSA, PCI_NO_PASID, 0x10000, 0xaa), 0);
	assert_int_equal(a[0], 0xaa);
	/* Point RID_PASID at 77 and invalidate the context: untagged requests
	 * now use the other domain. */
	th_context(&t, SID_DSA)[1] = 77;
	th_inv_cc_dev(&t, SID_DSA);
	assert_int_equal(th_write8(&t, SID_DSA, PCI_NO_PASID, 0x10000, 0xbb), 0);
	assert_int_equal(b[0], 0xbb);
	assert_int_equal(a[0], 0xaa);
	th_fini(&t);
}

/* Permissions: read-only second stage, user/supervisor first stage. */
static void test_permissions(void **s)
{
	(void)s;
	struct th t;
	th_init(&t, NULL);
	th_dev_enable(&t, SID_DSA, true);
	th_context_setup(&t, SID_DSA, 0);
	uint8_t *buf = th_buf(&t);
	struct th_pt ss, fs;
	th_pt_init(&t, &ss, 4, false);
	th_pt_init(&t, &fs, 4, true);
	th_map(&t, &ss, 0x5000, (uint64_t)(uintptr_t)buf, 12, VTD_SS_R);
	th_pasid_ss(&t, SID_DSA, 1, 1, &ss, 0);
	uint8_t v;
	assert_int_equal(th_read8(&t, SID_DSA, 1, 0x5000, &v), 0);
	assert_int_equal(th_write8(&t, SID_DSA, 1, 0x5000, 1), -EFAULT);
	th_expect_fault(&t, VTD_FR_SM_WRITE, 0x5000);

	/* First stage: a supervisor-only, read-only page. */
	th_map(&t, &fs, 0x7000, (uint64_t)(uintptr_t)buf, 12, VTD_FS_P);
	th_pasid_fs(&t, SID_DSA, 2, 2, &fs, VTD_PE2_SRE);
	assert_int_equal(th_read8(&t, SID_DSA, 2, 0x7000, &v), -EFAULT);
	th_expect_fault(&t, VTD_FR_SM_US, 0x7000);
	struct pci_dma_result r;
	assert_int_equal(th_dma(&t, SID_DSA, 2, true, 0x7000, &v, 1, false, &r), 0);
	/* WPE clear: supervisor writes ignore R/W. */
	v = 3;
	assert_int_equal(th_dma(&t, SID_DSA, 2, true, 0x7000, &v, 1, true, &r), 0);
	assert_int_equal(buf[0], 3);
	/* With WPE set, they honour it. */
	th_pasid_fs(&t, SID_DSA, 2, 2, &fs, VTD_PE2_SRE | VTD_PE2_WPE);
	th_inv_pc(&t, VTD_INV_PC_PASID, 2, 2);
	th_inv_piotlb(&t, VTD_INV_PIOTLB_ALL_IN_PASID, 2, 2, 0, 0);
	assert_int_equal(th_dma(&t, SID_DSA, 2, true, 0x7000, &v, 1, true, &r), -EFAULT);
	th_expect_fault(&t, VTD_FR_SM_WRITE, 0x7000);
	/* Without SRE, supervisor requests are refused at the PASID entry. */
	th_pasid_fs(&t, SID_DSA, 2, 2, &fs, 0);
	th_inv_pc(&t, VTD_INV_PC_PASID, 2, 2);
	assert_int_equal(th_dma(&t, SID_DSA, 2, true, 0x7000, &v, 1, false, &r), -EFAULT);
	th_expect_fault(&t, VTD_FR_SM_PTE_SRE, 0x7000);
	th_fini(&t);
}

/* H-10: an access crossing pages translates each page on its own. */
static void test_cross_page(void **s)
{
	(void)s;
	struct th t;
	th_init(&t, NULL);
	th_dev_enable(&t, SID_DMATEST0, false);
	th_context_setup(&t, SID_DMATEST0, 0);
	struct th_pt pt;
	th_pt_init(&t, &pt, 4, false);
	uint8_t *p0 = th_buf(&t), *p1 = th_buf(&t), *p2 = th_buf(&t);
	/* Contiguous IOVAs, scattered host pages. */
	th_map(&t, &pt, 0x100000, (uint64_t)(uintptr_t)p2, 12, VTD_SS_R | VTD_SS_W);
	th_map(&t, &pt, 0x101000, (uint64_t)(uintptr_t)p0, 12, VTD_SS_R | VTD_SS_W);
	th_map(&t, &pt, 0x102000, (uint64_t)(uintptr_t)p1, 12, VTD_SS_R | VTD_SS_W);
	th_pasid_ss(&t, SID_DMATEST0, 0, 3, &pt, 0);
	uint8_t data[3 * 4096];
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 7);
	struct pci_dma_result r;
	assert_int_equal(th_dma(&t, SID_DMATEST0, PCI_NO_PASID, false, 0x100800, data, 8192, true, &r),
			 0);
	assert_memory_equal(p2 + 0x800, data, 0x800);
	assert_memory_equal(p0, data + 0x800, 4096);
	assert_memory_equal(p1, data + 0x1800, 0x800);
	/* A transfer running into an unmapped page stops there. */
	assert_int_equal(th_dma(&t, SID_DMATEST0, PCI_NO_PASID, false, 0x102800, data, 4096, true, &r),
			 -EFAULT);
	assert_int_equal(r.done, 0x800);
	assert_int_equal(r.fault_addr, 0x103000);
	th_expect_fault(&t, VTD_FR_SM_SS_NOT_PRESENT, 0x103000);
	th_fini(&t);
}

/* Second-stage A/D with SSADE: accessed on every level, dirty on writes. */
static void test_ss_ad(void **s)
{
	(void)s;
	struct th t;
	th_init(&t, NULL);
	th_dev_enable(&t, SID_DMATEST0, false);
	th_context_setup(&t, SID_DMATEST0, 0);
	struct th_pt pt;
	th_pt_init(&t, &pt, 4, false);
	uint8_t *buf = th_buf(&t);
	th_map(&t, &pt, 0x200000, (uint64_t)(uintptr_t)buf, 12, VTD_SS_R | VTD_SS_W);
	th_map(&t, &pt, 0x201000, (uint64_t)(uintptr_t)buf, 12, VTD_SS_R | VTD_SS_W);
	th_pasid_ss(&t, SID_DMATEST0, 0, 3, &pt, VTD_PE0_SSADE);
	uint8_t v;
	assert_int_equal(th_read8(&t, SID_DMATEST0, PCI_NO_PASID, 0x200000, &v), 0);
	assert_true(*th_pte(&pt, 0x200000, 1) & VTD_SS_A);
	assert_false(*th_pte(&pt, 0x200000, 1) & VTD_SS_D);
	assert_true(*th_pte(&pt, 0x200000, 4) & VTD_SS_A);
	/* A write through the now-cached clean entry still sets D. */
	assert_int_equal(th_write8(&t, SID_DMATEST0, PCI_NO_PASID, 0x200000, 1), 0);
	assert_true(*th_pte(&pt, 0x200000, 1) & VTD_SS_D);
	assert_false(*th_pte(&pt, 0x201000, 1) & (VTD_SS_A | VTD_SS_D));
	/* Without SSADE nothing is touched. */
	th_pasid_ss(&t, SID_DMATEST0, 0, 3, &pt, 0);
	th_inv_pc(&t, VTD_INV_PC_DOMAIN, 3, 0);
	assert_int_equal(th_write8(&t, SID_DMATEST0, PCI_NO_PASID, 0x201000, 1), 0);
	assert_false(*th_pte(&pt, 0x201000, 1) & (VTD_SS_A | VTD_SS_D));
	th_fini(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ss_3level_4k), cmocka_unit_test(test_ss_3level_2m),
		cmocka_unit_test(test_ss_3level_1g), cmocka_unit_test(test_ss_4level_4k),
		cmocka_unit_test(test_ss_4level_2m), cmocka_unit_test(test_ss_4level_1g),
		cmocka_unit_test(test_ss_5level_4k), cmocka_unit_test(test_ss_5level_2m),
		cmocka_unit_test(test_ss_5level_1g), cmocka_unit_test(test_fs_4level_4k),
		cmocka_unit_test(test_fs_4level_2m), cmocka_unit_test(test_fs_4level_1g),
		cmocka_unit_test(test_fs_5level_4k), cmocka_unit_test(test_fs_5level_2m),
		cmocka_unit_test(test_fs_5level_1g), cmocka_unit_test(test_nested_4k_4k),
		cmocka_unit_test(test_nested_2m_4k), cmocka_unit_test(test_nested_4k_2m),
		cmocka_unit_test(test_nested_1g_1g), cmocka_unit_test(test_pass_through),
		cmocka_unit_test(test_rid_pasid),    cmocka_unit_test(test_permissions),
		cmocka_unit_test(test_cross_page),   cmocka_unit_test(test_ss_ad),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
