/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Driver-specific user data of iommufd calls (Linux's
 * iommu_copy_struct_from_user*): the type must be the one the driver
 * reads, and the size rules of the uAPI apply to each struct.
 */
#include <errno.h>

#include "iommu.h"
#include "../base/usercopy.h"

int iommu_copy_struct_from_user(void *dst, size_t dst_size, const struct iommu_user_data *data,
				unsigned int type, size_t min_len)
{
	if (!data || data->type != type)
		return -EINVAL;
	if (data->len < min_len)
		return -EINVAL;
	return copy_struct_from_user(dst, dst_size, data->uptr, data->len);
}

int iommu_copy_struct_from_user_array(void *dst, size_t dst_size,
				      const struct iommu_user_data_array *array,
				      unsigned int type, uint32_t index, size_t min_len)
{
	if (!array || array->type != type)
		return -EINVAL;
	if (array->entry_len < min_len)
		return -EINVAL;
	if (index >= array->entry_num)
		return -EINVAL;
	uint64_t at = array->uptr + (uint64_t)index * array->entry_len;
	return copy_struct_from_user(dst, dst_size, at, array->entry_len);
}
