/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Access objects of IOMMU_TEST_CMD (SPEC U-6, U-15): CREATE_ACCESS makes
 * an in-library access on an IOAS and hands it out as a file descriptor,
 * as Linux hands out an anonymous file; closing the descriptor destroys
 * the access. The test pins pages through it (ACCESS_PAGES, each pin an
 * item with an ID), copies through it (ACCESS_RW), moves it to another
 * IOAS, and sees the core take pins back: the access's unmap callback
 * drops every item an IOAS_UNMAP reaches.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>

#include <uapi/linux/iommufd_test.h>

#include "iommufd_private.h"
#include "iommufd_selftest.h"
#include "../base/uaccess.h"
#include "../files/file.h"
#include "../util/slab.h"

/* The largest pin or copy one op takes (Linux bounds it the same). */
#define ACCESS_MAX_BYTES (16ull << 20)

struct selftest_access {
	struct iommufd_access *access;
	pthread_mutex_t lock;          /* items, next_id; held across a pin */
	struct list_node items;        /* struct selftest_access_item */
	unsigned next_id;
};

struct selftest_access_item {
	struct list_node node;
	uint64_t iova, length;
	unsigned id;
};

static const struct file_operations staccess_fops;

/* The access behind a descriptor, with the file's reference: EBADFD if
 * it is not one CREATE_ACCESS gave. */
static struct selftest_access *staccess_get(int fd, struct file **f, int *err)
{
	*f = fget(fd);
	if (!*f || (*f)->f_op != &staccess_fops) {
		if (*f)
			fput(*f);
		*err = -EBADFD;
		return NULL;
	}
	return (*f)->private_data;
}

/* The core takes [iova, +length) back: every pin touching it goes. */
static void staccess_unmap(void *data, uint64_t iova, uint64_t length)
{
	struct selftest_access *sa = data;
	uint64_t last = iova + length - 1;
	struct selftest_access_item *item, *t;
	pthread_mutex_lock(&sa->lock);
	list_for_each_entry_safe(item, t, &sa->items, node) {
		if (iova > item->iova + item->length - 1 || last < item->iova)
			continue;
		list_del(&item->node);
		iommufd_access_unpin_pages(sa->access, item->iova, item->length);
		free(item);
	}
	pthread_mutex_unlock(&sa->lock);
}

static const struct iommufd_access_ops staccess_ops_pin = {
	.needs_pin_pages = true,
	.unmap = staccess_unmap,
};

static const struct iommufd_access_ops staccess_ops = {
	.unmap = staccess_unmap,
};

static void staccess_release(struct file *f)
{
	struct selftest_access *sa = f->private_data;
	if (sa->access) {
		staccess_unmap(sa, 0, UINT64_MAX);
		iommufd_access_destroy(sa->access);
	}
	pthread_mutex_destroy(&sa->lock);
	free(sa);
}

static const struct file_operations staccess_fops = {
	.release = staccess_release,
};

int iommufd_test_create_access(struct iommufd_ucmd *ucmd, struct iommu_test_cmd *cmd)
{
	uint32_t flags = cmd->create_access.flags, id;
	int rc;
	if (flags & ~MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES)
		return -EOPNOTSUPP;
	struct selftest_access *sa = kcalloc(1, sizeof(*sa));
	if (!sa)
		return -ENOMEM;
	pthread_mutex_init(&sa->lock, NULL);
	list_init(&sa->items);
	struct iommufd_access *access = iommufd_access_create(
		ucmd->ictx,
		(flags & MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES) ? &staccess_ops_pin :
								     &staccess_ops,
		sa, &id, &rc);
	if (!access)
		goto out_free;
	if ((rc = iommufd_access_attach(access, cmd->id)))
		goto out_destroy;
	/* From here the descriptor's file owns the access. */
	sa->access = access;
	int fd = anon_file_getfd(ucmd->ictx->host, "[iommufd_test_staccess]", &staccess_fops, sa,
				 O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		rc = fd;
		goto out_destroy;
	}
	cmd->create_access.out_access_fd = (uint32_t)fd;
	rc = iommufd_ucmd_respond(ucmd, sizeof(*cmd));
	if (rc)
		uiommu_close(fd);
	return rc;
out_destroy:
	iommufd_access_destroy(access);
out_free:
	pthread_mutex_destroy(&sa->lock);
	free(sa);
	return rc;
}

int iommufd_test_access_replace_ioas(struct iommufd_ucmd *ucmd, struct iommu_test_cmd *cmd)
{
	struct file *f;
	int rc;
	struct selftest_access *sa = staccess_get((int)cmd->id, &f, &rc);
	if (!sa)
		return rc;
	rc = iommufd_access_replace(sa->access, cmd->access_replace_ioas.ioas_id);
	fput(f);
	return rc;
}

/* Fuzzers cannot guess IOVAs: with MOCK_FLAGS_ACCESS_SYZ the IOVA is the
 * n-th area (low 32 bits) and an offset into it (high 32 bits). */
uint64_t iommufd_test_syz_conv_iova(struct io_pagetable *iopt, uint64_t iova)
{
	uint32_t nth = (uint32_t)iova, offset = (uint32_t)(iova >> 32);
	uint64_t found = 0;
	pthread_rwlock_rdlock(&iopt->iova_rwsem);
	for (struct iopt_area *area = iopt_area_iter_first(iopt, 0, UINT64_MAX); area;
	     area = iopt_area_iter_next(area, 0, UINT64_MAX)) {
		if (!nth--) {
			found = iopt_area_iova(area) + offset;
			break;
		}
	}
	pthread_rwlock_unlock(&iopt->iova_rwsem);
	return found;
}

void iommufd_test_syz_conv_iova_id(struct iommufd_ucmd *ucmd, uint32_t ioas_id, uint64_t *iova,
				   uint32_t *flags)
{
	/* Only a selftest host knows the flag; elsewhere it stays unknown
	 * (EOPNOTSUPP). */
	if (!(*flags & MOCK_FLAGS_ACCESS_SYZ) || !iommufd_selftest_of(ucmd->ictx))
		return;
	*flags &= ~(uint32_t)MOCK_FLAGS_ACCESS_SYZ;
	int rc;
	struct iommufd_ioas *ioas = iommufd_get_ioas(ucmd->ictx, ioas_id, &rc);
	if (!ioas)
		return;
	*iova = iommufd_test_syz_conv_iova(&ioas->iopt, *iova);
	iommufd_put_object(ucmd->ictx, &ioas->obj);
}

static uint64_t access_syz_conv_iova(struct iommufd_access *access, uint64_t iova)
{
	uint64_t found = 0;
	pthread_mutex_lock(&access->ioas_lock);
	if (access->ioas)
		found = iommufd_test_syz_conv_iova(&access->ioas->iopt, iova);
	pthread_mutex_unlock(&access->ioas_lock);
	return found;
}

/* The pinned pages are the ones the user's address maps (EBADE if not). */
static int check_pages(uint64_t uptr, void **pages, uint64_t npages)
{
	for (uint64_t i = 0; i < npages; i++) {
		uint64_t phys;
		int rc = mm_user_to_phys(uptr + i * PAGE_SIZE, &phys);
		if (rc)
			return rc;
		if (phys != (uint64_t)(uintptr_t)pages[i])
			return -EBADE;
	}
	return 0;
}

/* Pin and record an item; the caller holds sa->lock. */
static int access_pin_item(struct iommufd_ucmd *ucmd, struct iommu_test_cmd *cmd,
			   struct selftest_access *sa, uint64_t iova, uint32_t flags)
{
	uint64_t length = cmd->access_pages.length, uptr = cmd->access_pages.uptr;
	uint64_t first = iova & ~(PAGE_SIZE - 1), end;
	if (__builtin_add_overflow(iova, length + PAGE_SIZE - 1, &end))
		return -EOVERFLOW;
	uint64_t npages = ((end & ~(PAGE_SIZE - 1)) - first) / PAGE_SIZE;
	void **pages = kcalloc(npages ? npages : 1, sizeof(*pages));
	if (!pages)
		return -ENOMEM;
	int rc = iommufd_access_pin_pages(sa->access, iova, length, pages,
					  flags & MOCK_FLAGS_ACCESS_WRITE);
	if (rc)
		goto out;
	/* uptr 0 (fuzzers) skips the check. */
	if (uptr && (rc = check_pages(uptr - (iova - first), pages, npages)))
		goto out_unpin;
	struct selftest_access_item *item = kcalloc(1, sizeof(*item));
	if (!item) {
		rc = -ENOMEM;
		goto out_unpin;
	}
	item->iova = iova;
	item->length = length;
	item->id = sa->next_id++;
	list_add_tail(&item->node, &sa->items);
	cmd->access_pages.out_access_pages_id = item->id;
	rc = iommufd_ucmd_respond(ucmd, sizeof(*cmd));
	if (!rc)
		goto out;
	list_del(&item->node);
	free(item);
out_unpin:
	iommufd_access_unpin_pages(sa->access, iova, length);
out:
	free(pages);
	return rc;
}

int iommufd_test_access_pages(struct iommufd_ucmd *ucmd, struct iommu_test_cmd *cmd)
{
	uint32_t flags = cmd->access_pages.flags;
	struct file *f;
	int rc;
	if (cmd->access_pages.length > ACCESS_MAX_BYTES)
		return -ENOMEM;
	if (flags & ~(MOCK_FLAGS_ACCESS_WRITE | MOCK_FLAGS_ACCESS_SYZ))
		return -EOPNOTSUPP;
	struct selftest_access *sa = staccess_get((int)cmd->id, &f, &rc);
	if (!sa)
		return rc;
	if (sa->access->ops != &staccess_ops_pin) {
		rc = -EOPNOTSUPP;
		goto out;
	}
	uint64_t iova = cmd->access_pages.iova;
	if (flags & MOCK_FLAGS_ACCESS_SYZ)
		iova = access_syz_conv_iova(sa->access, iova);
	/* One pin at a time per access: every unmap the core asks for must
	 * find the pins it is after (Linux's selftest does the same). */
	pthread_mutex_lock(&sa->lock);
	rc = access_pin_item(ucmd, cmd, sa, iova, flags);
	pthread_mutex_unlock(&sa->lock);
out:
	fput(f);
	return rc;
}

int iommufd_test_access_item_destroy(struct iommufd_ucmd *ucmd, struct iommu_test_cmd *cmd)
{
	struct file *f;
	int rc;
	struct selftest_access *sa = staccess_get((int)cmd->id, &f, &rc);
	if (!sa)
		return rc;
	rc = -ENOENT;
	struct selftest_access_item *item;
	pthread_mutex_lock(&sa->lock);
	list_for_each_entry(item, &sa->items, node) {
		if (item->id != cmd->destroy_access_pages.access_pages_id)
			continue;
		list_del(&item->node);
		iommufd_access_unpin_pages(sa->access, item->iova, item->length);
		free(item);
		rc = 0;
		break;
	}
	pthread_mutex_unlock(&sa->lock);
	fput(f);
	return rc;
}

int iommufd_test_access_rw(struct iommufd_ucmd *ucmd, struct iommu_test_cmd *cmd)
{
	uint64_t length = cmd->access_rw.length, uptr = cmd->access_rw.uptr;
	uint32_t flags = cmd->access_rw.flags;
	struct file *f;
	int rc;
	if (length > ACCESS_MAX_BYTES)
		return -ENOMEM;
	if (flags & ~(MOCK_ACCESS_RW_WRITE | MOCK_ACCESS_RW_SLOW_PATH | MOCK_FLAGS_ACCESS_SYZ))
		return -EOPNOTSUPP;
	struct selftest_access *sa = staccess_get((int)cmd->id, &f, &rc);
	if (!sa)
		return rc;
	void *tmp = kcalloc(1, length ? length : 1);
	if (!tmp) {
		rc = -ENOMEM;
		goto out;
	}
	if ((flags & MOCK_ACCESS_RW_WRITE) && copy_from_user(tmp, uptr, length)) {
		rc = -EFAULT;
		goto out;
	}
	uint64_t iova = cmd->access_rw.iova;
	if (flags & MOCK_FLAGS_ACCESS_SYZ)
		iova = access_syz_conv_iova(sa->access, iova);
	rc = iommufd_access_rw(sa->access, iova, tmp, length, flags & ~MOCK_FLAGS_ACCESS_SYZ);
	if (!rc && !(flags & MOCK_ACCESS_RW_WRITE) && copy_to_user(uptr, tmp, length))
		rc = -EFAULT;
out:
	free(tmp);
	fput(f);
	return rc;
}

_Static_assert((unsigned)MOCK_ACCESS_RW_WRITE == (unsigned)IOMMUFD_ACCESS_RW_WRITE, "the access flags are Linux's");
_Static_assert((unsigned)MOCK_ACCESS_RW_SLOW_PATH == (unsigned)__IOMMUFD_ACCESS_RW_SLOW_PATH, "as are these");
