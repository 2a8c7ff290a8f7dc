/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Driver-specific user data of iommufd calls (Linux's
 * iommu_copy_struct_from_user* and iommu_copy_struct_to_user): the type
 * must be the one the driver reads, and the size rules of Linux 7.2 apply
 * to each struct: shorter than the driver's first version or longer than
 * what the driver knows is EINVAL (a longer struct is not read for zero
 * bytes, unlike the ioctl structs themselves), shorter reads as zeroes.
 */
#include <errno.h>
#include <string.h>

#include "iommu.h"
#include "../base/uaccess.h"
#include "../base/usercopy.h"

static int check_len(size_t len, size_t dst_size, size_t min_len)
{
	return len < min_len || len > dst_size ? -EINVAL : 0;
}

int iommu_copy_struct_from_user(void *dst, size_t dst_size, const struct iommu_user_data *data,
				unsigned int type, size_t min_len)
{
	if (!data || data->type != type)
		return -EINVAL;
	int rc = check_len(data->len, dst_size, min_len);
	return rc ? rc : copy_struct_from_user(dst, dst_size, data->uptr, data->len);
}

int iommu_copy_struct_from_user_array(void *dst, size_t dst_size,
				      const struct iommu_user_data_array *array,
				      unsigned int type, uint32_t index, size_t min_len)
{
	if (!array || array->type != type)
		return -EINVAL;
	if (index >= array->entry_num)
		return -EINVAL;
	int rc = check_len(array->entry_len, dst_size, min_len);
	if (rc)
		return rc;
	uint64_t at = array->uptr + (uint64_t)index * array->entry_len;
	return copy_struct_from_user(dst, dst_size, at, array->entry_len);
}

int iommu_copy_struct_from_full_user_array(void *dst, size_t entry_size,
					   const struct iommu_user_data_array *array,
					   unsigned int type)
{
	if (!array || array->type != type || !array->entry_num)
		return -EINVAL;
	/* The common case in one copy; otherwise entry by entry, each under
	 * the extensible-struct rule (shorter: zeroes; longer: zero tail). */
	if (array->entry_len == entry_size)
		return copy_from_user(dst, array->uptr, entry_size * array->entry_num) ? -EFAULT : 0;
	for (uint32_t i = 0; i < array->entry_num; i++) {
		int rc = copy_struct_from_user((uint8_t *)dst + entry_size * i, entry_size,
					       array->uptr + (uint64_t)array->entry_len * i,
					       array->entry_len);
		if (rc)
			return rc;
	}
	return 0;
}

int iommu_copy_struct_to_user(const struct iommu_user_data *data, const void *src,
			      size_t src_size, unsigned int type, size_t min_len)
{
	if (!data || data->type != type)
		return -EINVAL;
	int rc = check_len(data->len, src_size, min_len);
	if (rc)
		return rc;
	return copy_to_user(data->uptr, src, data->len) ? -EFAULT : 0;
}
