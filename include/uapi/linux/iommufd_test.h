/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The iommufd selftest interface of Linux 7.2 (SPEC U-15): IOMMU_TEST_CMD
 * on /dev/iommu and the data the selftest ("mock") IOMMU driver takes in
 * HWPT_ALLOC, HWPT_INVALIDATE, VIOMMU_ALLOC, VEVENTQ_ALLOC, HW_QUEUE_ALLOC
 * and gives in GET_HW_INFO. Linux provides it only with
 * CONFIG_IOMMUFD_TEST; uiommu only on a host made with
 * uiommu_host_opts.selftest (`uiommu exec --selftest`), and answers
 * ENOTTY otherwise. Written for uiommu from the layouts and numbers the
 * kernel's tools/testing/selftests/iommu use; sizes and offsets are pinned
 * in src/iommufd/uapi_check.c. docs/iommufd.md describes every op.
 */
#ifndef _UAPI_IOMMUFD_TEST_H
#define _UAPI_IOMMUFD_TEST_H

#include <linux/types.h>

#include "iommufd.h"

/* iommu_test_cmd.op, numbered from 1 in this order. */
enum {
	IOMMU_TEST_OP_ADD_RESERVED = 1,    /* reserve IOVA in an IOAS */
	IOMMU_TEST_OP_MOCK_DOMAIN,         /* a mock device, bound and attached */
	IOMMU_TEST_OP_MD_CHECK_MAP,        /* a mock domain maps these user pages */
	IOMMU_TEST_OP_MD_CHECK_REFS,       /* user pages carry this many pins */
	IOMMU_TEST_OP_CREATE_ACCESS,       /* an access object, as a descriptor */
	IOMMU_TEST_OP_DESTROY_ACCESS_PAGES,
	IOMMU_TEST_OP_ACCESS_PAGES,        /* pin through an access */
	IOMMU_TEST_OP_ACCESS_RW,           /* copy through an access */
	IOMMU_TEST_OP_SET_TEMP_MEMORY_LIMIT,
	IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE,
	IOMMU_TEST_OP_ACCESS_REPLACE_IOAS,
	IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS,   /* MOCK_DOMAIN with device flags */
	IOMMU_TEST_OP_DIRTY,               /* the mock device writes: dirty bits */
	IOMMU_TEST_OP_MD_CHECK_IOTLB,      /* a mock nested domain's IOTLB entry */
	IOMMU_TEST_OP_TRIGGER_IOPF,        /* the mock device asks for a page */
	IOMMU_TEST_OP_DEV_CHECK_CACHE,     /* a mock device's cache entry */
	IOMMU_TEST_OP_TRIGGER_VEVENT,      /* the mock vIOMMU reports an event */
	IOMMU_TEST_OP_PASID_ATTACH,
	IOMMU_TEST_OP_PASID_REPLACE,
	IOMMU_TEST_OP_PASID_DETACH,
	IOMMU_TEST_OP_PASID_CHECK_HWPT,
	IOMMU_TEST_OP_DMABUF_GET,          /* a dma-buf to map with MAP_FILE */
	IOMMU_TEST_OP_DMABUF_REVOKE,
};

/* iommu_hwpt_selftest.pagetable_type of a paging HWPT. */
enum {
	MOCK_IOMMUPT_DEFAULT = 0,  /* 2 KiB granule, the mock aperture */
	MOCK_IOMMUPT_HUGE,         /* 4 KiB and 1 MiB pages only, the format's aperture */
};

/* The mock's page size and aperture (MOCK_IOMMUPT_DEFAULT): a page
 * smaller than the CPU's, so the core's alignment logic is exercised. */
enum {
	MOCK_APERTURE_START = 1UL << 24,
	MOCK_APERTURE_LAST = (1UL << 31) - 1,
	MOCK_PAGE_SIZE = 2048,
	MOCK_HUGE_PAGE_SIZE = 512 * MOCK_PAGE_SIZE,
};

/* access_pages.flags */
enum {
	MOCK_FLAGS_ACCESS_WRITE = 1 << 0,
	MOCK_FLAGS_ACCESS_SYZ = 1 << 16,   /* iova is {nth area, offset} (fuzzers) */
};

/* access_rw.flags: the IOMMUFD_ACCESS_RW_* values */
enum {
	MOCK_ACCESS_RW_WRITE = 1 << 0,
	MOCK_ACCESS_RW_SLOW_PATH = 1 << 2,
};

/* create_access.flags */
enum {
	MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES = 1 << 0,
};

/* mock_domain_flags.dev_flags */
enum {
	MOCK_FLAGS_DEVICE_NO_DIRTY = 1 << 0,
	MOCK_FLAGS_DEVICE_PASID = 1 << 2,
};

/* A mock nested domain's IOTLB and a mock device's cache: four entries. */
enum {
	MOCK_NESTED_DOMAIN_IOTLB_ID_MAX = 3,
	MOCK_NESTED_DOMAIN_IOTLB_NUM = 4,
};

enum {
	MOCK_DEV_CACHE_ID_MAX = 3,
	MOCK_DEV_CACHE_NUM = 4,
};

/* Attaching a second domain to this PASID of a mock device fails once
 * with ENOMEM, so a failed replace can be tested. */
#define IOMMU_TEST_PASID_RESERVED 1024

/*
 * The command. `id` names the object an op works on (an IOAS, a HWPT, the
 * MOCK_DOMAIN object, a device, an access descriptor); out_* fields are
 * answers.
 */
struct iommu_test_cmd {
	__u32 size;
	__u32 op;
	__u32 id;
	__u32 __reserved;
	union {
		struct {
			__aligned_u64 start;
			__aligned_u64 length;
		} add_reserved;
		struct {
			__u32 out_stdev_id;  /* the MOCK_DOMAIN object: destroy it to undo */
			__u32 out_hwpt_id;
			__u32 out_idev_id;   /* the DEVICE object */
		} mock_domain;
		struct {
			__u32 out_stdev_id;
			__u32 out_hwpt_id;
			__u32 out_idev_id;
			__u32 dev_flags;
		} mock_domain_flags;
		struct {
			__u32 pt_id;
		} mock_domain_replace;
		struct {
			__aligned_u64 iova;
			__aligned_u64 length;
			__aligned_u64 uptr;
		} check_map;
		struct {
			__aligned_u64 length;
			__aligned_u64 uptr;
			__u32 refs;
		} check_refs;
		struct {
			__u32 out_access_fd;
			__u32 flags;
		} create_access;
		struct {
			__u32 access_pages_id;
		} destroy_access_pages;
		struct {
			__u32 flags;
			__u32 out_access_pages_id;
			__aligned_u64 iova;
			__aligned_u64 length;
			__aligned_u64 uptr;
		} access_pages;
		struct {
			__aligned_u64 iova;
			__aligned_u64 length;
			__aligned_u64 uptr;
			__u32 flags;
		} access_rw;
		struct {
			__u32 limit;
		} memory_limit;
		struct {
			__u32 ioas_id;
		} access_replace_ioas;
		struct {
			__u32 flags;
			__aligned_u64 iova;
			__aligned_u64 length;
			__aligned_u64 page_size;
			__aligned_u64 uptr;
			__aligned_u64 out_nr_dirty;
		} dirty;
		struct {
			__u32 id;
			__u32 iotlb;
		} check_iotlb;
		struct {
			__u32 dev_id;
			__u32 pasid;
			__u32 grpid;
			__u32 perm;
			__u64 addr;
		} trigger_iopf;
		struct {
			__u32 id;
			__u32 cache;
		} check_dev_cache;
		struct {
			__u32 dev_id;
		} trigger_vevent;
		struct {
			__u32 pasid;
			__u32 pt_id;
		} pasid_attach;
		struct {
			__u32 pasid;
			__u32 pt_id;
		} pasid_replace;
		struct {
			__u32 pasid;
		} pasid_detach;
		struct {
			__u32 pasid;
			__u32 hwpt_id;   /* 0: nothing is attached there */
		} pasid_check;
		struct {
			__u32 length;
			__u32 open_flags;
		} dmabuf_get;
		struct {
			__s32 dmabuf_fd;
			__u32 revoked;
		} dmabuf_revoke;
	};
	__u32 last;   /* the mandatory size ends here */
};
#define IOMMU_TEST_CMD _IO(IOMMUFD_TYPE, IOMMUFD_CMD_BASE + 32)

/* The PASID width of the mock IOMMU and of MOCK_FLAGS_DEVICE_PASID devices. */
#define MOCK_PASID_WIDTH 20

/* GET_HW_INFO of a mock device. */
#define IOMMU_HW_INFO_TYPE_SELFTEST 0xfeedbeef
#define IOMMU_HW_INFO_SELFTEST_REGVAL 0xdeadbeef

struct iommu_test_hw_info {
	__u32 flags;
	__u32 test_reg;
};

/* HWPT_ALLOC data: a paging table's type, or a nested table's IOTLB
 * value (no enum iommu_hwpt_data_type has this number). */
#define IOMMU_HWPT_DATA_SELFTEST 0xdead
#define IOMMU_TEST_IOTLB_DEFAULT 0xbadbeef
#define IOMMU_TEST_DEV_CACHE_DEFAULT 0xbaddad

struct iommu_hwpt_selftest {
	__u32 iotlb;            /* every IOTLB entry of a nested table starts so */
	__u32 pagetable_type;   /* MOCK_IOMMUPT_* of a paging table */
};

/* HWPT_INVALIDATE of a mock nested HWPT: one IOTLB entry, or all. */
#define IOMMU_HWPT_INVALIDATE_DATA_SELFTEST 0xdeadbeef
#define IOMMU_HWPT_INVALIDATE_DATA_SELFTEST_INVALID 0xdadbeef

struct iommu_hwpt_invalidate_selftest {
#define IOMMU_TEST_INVALIDATE_FLAG_ALL (1 << 0)
	__u32 flags;
	__u32 iotlb_id;
};

/* VIOMMU_ALLOC of the mock: in_data comes back in out_data and in the
 * first word of a two-page region the /dev/iommu descriptor maps at
 * out_mmap_offset. */
#define IOMMU_VIOMMU_TYPE_SELFTEST 0xdeadbeef

struct iommu_viommu_selftest {
	__u32 in_data;
	__u32 out_data;
	__aligned_u64 out_mmap_offset;
	__aligned_u64 out_mmap_length;
};

/* HWPT_INVALIDATE on a mock vIOMMU: a vDEVICE's cache entry, or all. */
#define IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST 0xdeadbeef
#define IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST_INVALID 0xdadbeef

struct iommu_viommu_invalidate_selftest {
	__u32 flags;    /* IOMMU_TEST_INVALIDATE_FLAG_ALL */
	__u32 vdev_id;  /* the vDEVICE's virtual ID */
	__u32 cache_id;
};

/* The mock vIOMMU's event (TRIGGER_VEVENT): the device's virtual ID. */
#define IOMMU_VEVENTQ_TYPE_SELFTEST 0xbeefbeef

struct iommu_viommu_event_selftest {
	__u32 virt_id;
};

/* HW queues of the mock vIOMMU: two, made in index order. */
#define IOMMU_HW_QUEUE_TYPE_SELFTEST 0xdeadbeef
#define IOMMU_TEST_HW_QUEUE_MAX 2

#endif
