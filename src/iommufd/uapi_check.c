/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The iommufd ABI pinned to Linux 7.2 (x86-64): every struct's size and
 * the offsets programs depend on. A change to include/uapi/linux/iommufd.h
 * that moved a byte fails the build here, not a program at run time.
 */
#include <stddef.h>

#include <uapi/linux/iommufd.h>
#include <uapi/linux/iommufd_test.h>

#define SIZE(s, n) _Static_assert(sizeof(struct s) == (n), #s " size")
#define OFF(s, f, n) _Static_assert(offsetof(struct s, f) == (n), #s "." #f " offset")

SIZE(iommu_destroy, 8);
OFF(iommu_destroy, id, 4);
SIZE(iommu_ioas_alloc, 12);
OFF(iommu_ioas_alloc, out_ioas_id, 8);
SIZE(iommu_iova_range, 16);
SIZE(iommu_ioas_iova_ranges, 32);
OFF(iommu_ioas_iova_ranges, num_iovas, 8);
OFF(iommu_ioas_iova_ranges, allowed_iovas, 16);
OFF(iommu_ioas_iova_ranges, out_iova_alignment, 24);
SIZE(iommu_ioas_allow_iovas, 24);
OFF(iommu_ioas_allow_iovas, allowed_iovas, 16);
SIZE(iommu_ioas_map, 40);
OFF(iommu_ioas_map, ioas_id, 8);
OFF(iommu_ioas_map, user_va, 16);
OFF(iommu_ioas_map, length, 24);
OFF(iommu_ioas_map, iova, 32);
SIZE(iommu_ioas_map_file, 40);
OFF(iommu_ioas_map_file, fd, 12);
OFF(iommu_ioas_map_file, start, 16);
OFF(iommu_ioas_map_file, iova, 32);
SIZE(iommu_ioas_copy, 40);
OFF(iommu_ioas_copy, src_ioas_id, 12);
OFF(iommu_ioas_copy, length, 16);
OFF(iommu_ioas_copy, src_iova, 32);
SIZE(iommu_ioas_unmap, 24);
OFF(iommu_ioas_unmap, iova, 8);
OFF(iommu_ioas_unmap, length, 16);
SIZE(iommu_option, 24);
OFF(iommu_option, op, 8);
OFF(iommu_option, __reserved, 10);
OFF(iommu_option, object_id, 12);
OFF(iommu_option, val64, 16);
SIZE(iommu_vfio_ioas, 12);
OFF(iommu_vfio_ioas, op, 8);
OFF(iommu_vfio_ioas, __reserved, 10);
SIZE(iommu_hwpt_vtd_s1, 24);
OFF(iommu_hwpt_vtd_s1, addr_width, 16);
SIZE(iommu_hwpt_arm_smmuv3, 16);
SIZE(iommu_hwpt_amd_guest, 32);
SIZE(iommu_hwpt_alloc, 48);
OFF(iommu_hwpt_alloc, pt_id, 12);
OFF(iommu_hwpt_alloc, out_hwpt_id, 16);
OFF(iommu_hwpt_alloc, __reserved, 20);
OFF(iommu_hwpt_alloc, data_type, 24);
OFF(iommu_hwpt_alloc, data_len, 28);
OFF(iommu_hwpt_alloc, data_uptr, 32);
OFF(iommu_hwpt_alloc, fault_id, 40);
SIZE(iommu_hw_info_vtd, 24);
OFF(iommu_hw_info_vtd, cap_reg, 8);
OFF(iommu_hw_info_vtd, ecap_reg, 16);
SIZE(iommu_hw_info_arm_smmuv3, 40);
SIZE(iommu_hw_info_tegra241_cmdqv, 8);
SIZE(iommu_hw_info_amd, 16);
SIZE(iommu_hw_info, 40);
OFF(iommu_hw_info, data_len, 12);
OFF(iommu_hw_info, data_uptr, 16);
OFF(iommu_hw_info, out_data_type, 24);
OFF(iommu_hw_info, out_max_pasid_log2, 28);
OFF(iommu_hw_info, __reserved, 29);
OFF(iommu_hw_info, out_capabilities, 32);
SIZE(iommu_hwpt_set_dirty_tracking, 16);
OFF(iommu_hwpt_set_dirty_tracking, hwpt_id, 8);
SIZE(iommu_hwpt_get_dirty_bitmap, 48);
OFF(iommu_hwpt_get_dirty_bitmap, iova, 16);
OFF(iommu_hwpt_get_dirty_bitmap, page_size, 32);
OFF(iommu_hwpt_get_dirty_bitmap, data, 40);
SIZE(iommu_hwpt_vtd_s1_invalidate, 24);
OFF(iommu_hwpt_vtd_s1_invalidate, flags, 16);
SIZE(iommu_viommu_arm_smmuv3_invalidate, 16);
SIZE(iommu_hwpt_invalidate, 32);
OFF(iommu_hwpt_invalidate, data_uptr, 8);
OFF(iommu_hwpt_invalidate, data_type, 16);
OFF(iommu_hwpt_invalidate, entry_num, 24);
OFF(iommu_hwpt_invalidate, __reserved, 28);
SIZE(iommu_hwpt_pgfault, 40);
OFF(iommu_hwpt_pgfault, perm, 16);
OFF(iommu_hwpt_pgfault, addr, 24);
OFF(iommu_hwpt_pgfault, length, 32);
OFF(iommu_hwpt_pgfault, cookie, 36);
SIZE(iommu_hwpt_page_response, 8);
SIZE(iommu_fault_alloc, 16);
OFF(iommu_fault_alloc, out_fault_fd, 12);
SIZE(iommu_viommu_tegra241_cmdqv, 16);
SIZE(iommu_viommu_alloc, 40);
OFF(iommu_viommu_alloc, hwpt_id, 16);
OFF(iommu_viommu_alloc, out_viommu_id, 20);
OFF(iommu_viommu_alloc, data_len, 24);
OFF(iommu_viommu_alloc, data_uptr, 32);
SIZE(iommu_vdevice_alloc, 24);
OFF(iommu_vdevice_alloc, out_vdevice_id, 12);
OFF(iommu_vdevice_alloc, virt_id, 16);
SIZE(iommu_ioas_change_process, 8);
SIZE(iommufd_vevent_header, 8);
SIZE(iommu_vevent_arm_smmuv3, 32);
SIZE(iommu_vevent_tegra241_cmdqv, 16);
SIZE(iommu_veventq_alloc, 32);
OFF(iommu_veventq_alloc, veventq_depth, 16);
OFF(iommu_veventq_alloc, out_veventq_id, 20);
OFF(iommu_veventq_alloc, out_veventq_fd, 24);
SIZE(iommu_hw_queue_alloc, 40);
OFF(iommu_hw_queue_alloc, index, 16);
OFF(iommu_hw_queue_alloc, out_hw_queue_id, 20);
OFF(iommu_hw_queue_alloc, nesting_parent_iova, 24);
OFF(iommu_hw_queue_alloc, length, 32);

/* The command numbers: type ';' in bits 15:8, no size or direction bits. */
_Static_assert(IOMMU_DESTROY == 0x3b80, "IOMMU_DESTROY");
_Static_assert(IOMMU_IOAS_MAP == 0x3b85, "IOMMU_IOAS_MAP");
_Static_assert(IOMMU_OPTION == 0x3b87, "IOMMU_OPTION");
_Static_assert(IOMMU_GET_HW_INFO == 0x3b8a, "IOMMU_GET_HW_INFO");
_Static_assert(IOMMU_IOAS_MAP_FILE == 0x3b8f, "IOMMU_IOAS_MAP_FILE");
_Static_assert(IOMMU_HW_QUEUE_ALLOC == 0x3b94, "IOMMU_HW_QUEUE_ALLOC");
_Static_assert(IOMMU_TEST_CMD == 0x3ba0, "IOMMU_TEST_CMD");

/* The selftest interface (SPEC U-15, <uapi/linux/iommufd_test.h>). */
SIZE(iommu_test_cmd, 72);
OFF(iommu_test_cmd, op, 4);
OFF(iommu_test_cmd, id, 8);
OFF(iommu_test_cmd, add_reserved.start, 16);
OFF(iommu_test_cmd, add_reserved.length, 24);
OFF(iommu_test_cmd, mock_domain_flags.dev_flags, 28);
OFF(iommu_test_cmd, check_refs.refs, 32);
OFF(iommu_test_cmd, access_pages.iova, 24);
OFF(iommu_test_cmd, access_pages.uptr, 40);
OFF(iommu_test_cmd, access_rw.flags, 40);
OFF(iommu_test_cmd, dirty.iova, 24);
OFF(iommu_test_cmd, dirty.out_nr_dirty, 56);
OFF(iommu_test_cmd, trigger_iopf.addr, 32);
OFF(iommu_test_cmd, dmabuf_revoke.revoked, 20);
OFF(iommu_test_cmd, last, 64);
SIZE(iommu_test_hw_info, 8);
SIZE(iommu_hwpt_selftest, 8);
SIZE(iommu_hwpt_invalidate_selftest, 8);
SIZE(iommu_viommu_selftest, 24);
OFF(iommu_viommu_selftest, out_mmap_offset, 8);
OFF(iommu_viommu_selftest, out_mmap_length, 16);
SIZE(iommu_viommu_invalidate_selftest, 12);
SIZE(iommu_viommu_event_selftest, 4);
