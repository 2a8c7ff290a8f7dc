/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The /sys and /dev view of a host (SPEC F-2): the kernfs tree (walks,
 * links as sysfs shows them, removal against readers), the host's
 * devices, groups, units and mdevs where Linux puts them, attributes
 * with live contents, writable create/remove, and the paths transports
 * resolve - the host's, or the real filesystem's.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "harness.h"
#include "files/file.h"
#include "pci/pci.h"
#include "mdev/mdev.h"
#include <uiommu/iommu.h>
#include <uiommu/hw/vtd.h>
#include "sysfs/sysfs.h"
#include "sysfs/vfs.h"

/* ---- the tree ---- */

static atomic_int shows_in_progress;
static atomic_bool show_may_end;

static ssize_t slow_show(struct kernfs_node *kn, char *buf)
{
	atomic_fetch_add(&shows_in_progress, 1);
	while (!atomic_load(&show_may_end))
		usleep(1000);
	atomic_fetch_sub(&shows_in_progress, 1);
	return sysfs_emit(buf, "%s\n", (const char *)kn->priv);
}

static ssize_t echo_store(struct kernfs_node *kn, const char *buf, size_t count)
{
	snprintf(kn->priv, 32, "%s", buf);
	return (ssize_t)count;
}

static const struct kernfs_ops slow_ops = { .show = slow_show, .store = echo_store };

static int count_entries(struct kernfs_node *dir)
{
	struct kernfs_dirent *d;
	int n = kernfs_list(dir, &d);
	if (n >= 0)
		kernfs_dirents_free(d, n);
	return n;
}

static void tree_walks_and_links(void **state)
{
	(void)state;
	struct kernfs_root *r = kernfs_create_root();
	struct kernfs_node *root = kernfs_root_node(r), *sys, *devs, *dev, *grp, *groups;
	char val[32] = "hello";
	assert_int_equal(kernfs_create_dir(root, "sys", 0755, KERNFS_DIR_PASSTHROUGH, NULL, &sys), 0);
	assert_int_equal(kernfs_create_dir(sys, "devices", 0755, 0, NULL, &devs), 0);
	assert_int_equal(kernfs_create_dir(devs, "0000:00:02.0", 0755, 0, NULL, &dev), 0);
	assert_int_equal(kernfs_create_dir(sys, "groups", 0755, 0, NULL, &groups), 0);
	assert_int_equal(kernfs_create_dir(groups, "7", 0755, 0, NULL, &grp), 0);
	assert_int_equal(kernfs_create_file(dev, "vendor", 0644, &slow_ops, val, NULL), 0);
	assert_int_equal(kernfs_create_link(dev, "iommu_group", grp, NULL), 0);
	assert_int_equal(kernfs_create_link(grp, "dev", dev, NULL), 0);
	assert_int_equal(kernfs_create_dir(dev, "vendor", 0755, 0, NULL, NULL), -EEXIST);
	assert_int_equal(kernfs_create_dir(dev, "a/b", 0755, 0, NULL, NULL), -EINVAL);
	assert_int_equal(kernfs_create_dir(dev, "..", 0755, 0, NULL, NULL), -EINVAL);

	/* Links read as sysfs shows them: relative to the link's directory. */
	struct kernfs_walk w;
	assert_int_equal(kernfs_walk(r, NULL, "/sys/devices/0000:00:02.0/iommu_group",
				     KERNFS_WALK_NOFOLLOW, &w), 0);
	char buf[256];
	assert_int_equal(kernfs_readlink(w.kn, buf, sizeof(buf)), 14);
	assert_string_equal(buf, "../../groups/7");
	kernfs_put(w.kn);

	/* Followed in the middle and at the end; ".." from the target. */
	assert_int_equal(kernfs_walk(r, NULL, "/sys/devices/0000:00:02.0/iommu_group/dev/vendor",
				     0, &w), 0);
	assert_string_equal(w.kn->name, "vendor");
	kernfs_put(w.kn);
	assert_int_equal(kernfs_walk(r, NULL, "/sys/devices/0000:00:02.0/iommu_group/../7/", 0,
				     &w), 0);
	assert_ptr_equal(w.kn, grp);
	kernfs_put(w.kn);
	assert_int_equal(kernfs_walk(r, dev, "./vendor", 0, &w), 0);
	kernfs_put(w.kn);

	/* Errors as namei's. */
	assert_int_equal(kernfs_walk(r, NULL, "/sys/devices/nothing", 0, &w), -ENOENT);
	assert_int_equal(kernfs_walk(r, NULL, "/sys/devices/0000:00:02.0/vendor/x", 0, &w),
			 -ENOTDIR);
	assert_int_equal(kernfs_walk(r, NULL, "/sys/devices/0000:00:02.0/vendor/", 0, &w),
			 -ENOTDIR);
	assert_int_equal(kernfs_create_link(grp, "loop", grp, NULL), 0);
	struct kernfs_node *loop = kernfs_find_and_get(grp, "loop");
	assert_int_equal(kernfs_create_link(grp, "loop2", loop, NULL), 0);
	kernfs_put(loop);
	char deep[512] = "/sys/groups/7";
	for (int i = 0; i < 41; i++)
		strcat(deep, "/loop");
	assert_int_equal(kernfs_walk(r, NULL, deep, 0, &w), -ELOOP);
	deep[strlen(deep) - 5] = 0;
	assert_int_equal(kernfs_walk(r, NULL, deep, 0, &w), 0);
	kernfs_put(w.kn);

	/* A name a passthrough directory lacks is the real filesystem's. */
	assert_int_equal(kernfs_walk(r, NULL, "/sys/kernel/mm/x", 0, &w), KERNFS_WALK_PASS);
	assert_string_equal(w.real, "/sys/kernel/mm/x");
	assert_int_equal(kernfs_walk(r, NULL, "/etc//passwd", 0, &w), KERNFS_WALK_PASS);
	assert_string_equal(w.real, "/etc/passwd");
	assert_int_equal(kernfs_walk(r, NULL, "/sys/devices/../kernel", 0, &w), KERNFS_WALK_PASS);
	assert_string_equal(w.real, "/sys/kernel");

	/* Listings are sorted. */
	struct kernfs_dirent *d;
	assert_int_equal(kernfs_list(dev, &d), 2);
	assert_string_equal(d[0].name, "iommu_group");
	assert_int_equal(d[0].type, KERNFS_LINK);
	assert_string_equal(d[1].name, "vendor");
	kernfs_dirents_free(d, 2);

	char *data;
	size_t len;
	atomic_store(&show_may_end, true);
	assert_int_equal(kernfs_walk(r, NULL, "/sys/devices/0000:00:02.0/vendor", 0, &w), 0);
	assert_int_equal(kernfs_show(w.kn, &data, &len), 0);
	assert_string_equal(data, "hello\n");
	free(data);
	assert_int_equal(kernfs_store(w.kn, "bye", 3), 3);
	assert_string_equal(val, "bye");
	kernfs_remove(dev);
	/* Removed: held nodes answer -ENODEV, walks do not find them. */
	assert_int_equal(kernfs_show(w.kn, &data, &len), -ENODEV);
	assert_int_equal(kernfs_store(w.kn, "x", 1), -ENODEV);
	kernfs_put(w.kn);
	assert_int_equal(kernfs_walk(r, NULL, "/sys/groups/7/dev", 0, &w), -ENOENT);
	assert_int_equal(count_entries(devs), 0);
	kernfs_destroy_root(r);
}

struct show_arg {
	struct kernfs_node *kn;
	int rc;
};

static void *show_thread(void *p)
{
	struct show_arg *a = p;
	char *data = NULL;
	size_t len;
	a->rc = kernfs_show(a->kn, &data, &len);
	free(data);
	return NULL;
}

struct remove_arg {
	struct kernfs_node *kn;
	atomic_bool done;
};

static void *remove_thread(void *p)
{
	struct remove_arg *a = p;
	kernfs_remove(a->kn);
	atomic_store(&a->done, true);
	return NULL;
}

/* kernfs_remove() returns only once no show runs on what it removed. */
static void remove_waits_for_show(void **state)
{
	(void)state;
	struct kernfs_root *r = kernfs_create_root();
	struct kernfs_node *dir, *f;
	char val[32] = "v";
	assert_int_equal(kernfs_create_dir(kernfs_root_node(r), "d", 0755, 0, NULL, &dir), 0);
	assert_int_equal(kernfs_create_file(dir, "f", 0444, &slow_ops, val, &f), 0);
	kernfs_get(f);
	atomic_store(&show_may_end, false);
	struct show_arg sa = { .kn = f };
	pthread_t st, rt;
	pthread_create(&st, NULL, show_thread, &sa);
	while (!atomic_load(&shows_in_progress))
		usleep(1000);
	struct remove_arg ra = { .kn = dir };
	pthread_create(&rt, NULL, remove_thread, &ra);
	usleep(30000);
	assert_false(atomic_load(&ra.done));
	atomic_store(&show_may_end, true);
	pthread_join(rt, NULL);
	pthread_join(st, NULL);
	assert_true(atomic_load(&ra.done));
	assert_int_equal(sa.rc, 0);
	kernfs_put(f);
	kernfs_destroy_root(r);
}

/* ---- the host's view ---- */

static struct uiommu_host *new_host(void)
{
	struct uiommu_host *h;
	assert_int_equal(uiommu_host_new(NULL, &h, NULL, 0), 0);
	return h;
}

/* The content of a view file, read through a descriptor as a program would. */
static char *read_view(struct uiommu_host *h, const char *path, char *buf, size_t size)
{
	struct vfs_loc loc;
	assert_int_equal(vfs_resolve(h, NULL, path, 0, &loc), 0);
	assert_int_equal(loc.kind, VFS_KERNFS);
	int fd = vfs_open(h, &loc, O_RDONLY | O_CLOEXEC);
	vfs_loc_put(&loc);
	assert_true(fd >= 0);
	ssize_t n = uiommu_read(fd, buf, size - 1);
	assert_true(n >= 0);
	buf[n] = 0;
	assert_int_equal(uiommu_close(fd), 0);
	return buf;
}

static int write_view(struct uiommu_host *h, const char *path, const char *s)
{
	struct vfs_loc loc;
	int rc = vfs_resolve(h, NULL, path, 0, &loc);
	if (rc)
		return rc;
	int fd = vfs_open(h, &loc, O_WRONLY);
	vfs_loc_put(&loc);
	if (fd < 0)
		return fd;
	ssize_t n = uiommu_write(fd, s, strlen(s));
	uiommu_close(fd);
	return n < 0 ? (int)n : 0;
}

static int view_readlink(struct uiommu_host *h, const char *path, char *buf, size_t size)
{
	struct vfs_loc loc;
	int rc = vfs_resolve(h, NULL, path, VFS_NOFOLLOW, &loc);
	if (rc)
		return rc;
	rc = vfs_readlink(&loc, buf, size - 1);
	if (rc >= 0)
		buf[rc] = 0;
	vfs_loc_put(&loc);
	return rc;
}

static int list_names(struct uiommu_host *h, const char *path, char *out, size_t size)
{
	struct vfs_loc loc;
	int rc = vfs_resolve(h, NULL, path, 0, &loc);
	if (rc)
		return rc;
	struct vfs_dirent *d;
	bool pt;
	int n = vfs_list(h, &loc, &d, &pt);
	vfs_loc_put(&loc);
	if (n < 0)
		return n;
	out[0] = 0;
	for (int i = 0; i < n; i++) {
		strncat(out, d[i].name, size - strlen(out) - 2);
		strcat(out, " ");
	}
	vfs_dirents_free(d, n);
	return n;
}

static void pci_devices_as_linux(void **state)
{
	(void)state;
	struct uiommu_host *h = new_host();
	char buf[4096], names[2048];
	/* Every function of the default host, by its kernel name. */
	assert_int_equal(list_names(h, "/sys/bus/pci/devices", names, sizeof(names)), 12);
	assert_non_null(strstr(names, "0000:00:02.0 "));
	assert_non_null(strstr(names, "0000:01:00.0 "));

	/* Identity from configuration space, in pci-sysfs formats. */
	struct pci_dev *p = pci_get_by_rid(h, SID_DMATEST0);
	uint16_t vendor, device;
	uint32_t class;
	pci_read_config_word(p, 0, &vendor);
	pci_read_config_word(p, 2, &device);
	pci_read_config_dword(p, 8, &class);
	char want[32];
	snprintf(want, sizeof(want), "0x%04x\n", vendor);
	assert_string_equal(read_view(h, "/sys/bus/pci/devices/0000:00:02.0/vendor", buf,
				      sizeof(buf)), want);
	snprintf(want, sizeof(want), "0x%04x\n", device);
	assert_string_equal(read_view(h, "/sys/bus/pci/devices/0000:00:02.0/device", buf,
				      sizeof(buf)), want);
	snprintf(want, sizeof(want), "0x%06x\n", class >> 8);
	assert_string_equal(read_view(h, "/sys/bus/pci/devices/0000:00:02.0/class", buf,
				      sizeof(buf)), want);

	/* Nested below bridges; the links Linux has, relative as Linux's. */
	assert_int_equal(view_readlink(h, "/sys/bus/pci/devices/0000:02:00.0", buf, sizeof(buf)),
			 strlen("../../../devices/pci0000:00/0000:00:1c.0/0000:02:00.0"));
	assert_string_equal(buf, "../../../devices/pci0000:00/0000:00:1c.0/0000:02:00.0");
	view_readlink(h, "/sys/bus/pci/devices/0000:00:02.0/iommu_group", buf, sizeof(buf));
	assert_string_equal(buf, "../../../kernel/iommu_groups/2");
	view_readlink(h, "/sys/bus/pci/devices/0000:02:00.0/iommu_group", buf, sizeof(buf));
	assert_string_equal(buf, "../../../../kernel/iommu_groups/5");
	view_readlink(h, "/sys/bus/pci/devices/0000:00:02.0/driver", buf, sizeof(buf));
	assert_string_equal(buf, "../../../bus/pci/drivers/vfio-pci");
	view_readlink(h, "/sys/bus/pci/devices/0000:01:00.0/driver", buf, sizeof(buf));
	assert_string_equal(buf, "../../../../bus/pci/drivers/idxd");
	view_readlink(h, "/sys/bus/pci/devices/0000:00:02.0/iommu", buf, sizeof(buf));
	assert_string_equal(buf, "../../virtual/iommu/dmar0");
	assert_int_equal(view_readlink(h, "/sys/bus/pci/devices/0000:00:02.0/vendor", buf,
				       sizeof(buf)), -EINVAL);

	/* Groups list their devices; the unit its devices and registers. */
	assert_int_equal(list_names(h, "/sys/kernel/iommu_groups/4/devices", names, sizeof(names)),
			 2);
	assert_string_equal(names, "0000:00:04.0 0000:00:04.1 ");
	assert_string_equal(read_view(h, "/sys/kernel/iommu_groups/2/type", buf, sizeof(buf)),
			    "DMA\n");
	read_view(h, "/sys/kernel/iommu_groups/2/reserved_regions", buf, sizeof(buf));
	assert_non_null(strstr(buf, "0x00000000fee00000 0x00000000feefffff msi\n"));
	assert_int_equal(list_names(h, "/sys/class/iommu/dmar0/devices", names, sizeof(names)), 12);
	uint64_t cap;
	vtd_mmio_read(uiommu_host_unit(h, 0), 8, 8, &cap);
	snprintf(want, sizeof(want), "%llx\n", (unsigned long long)cap);
	assert_string_equal(read_view(h, "/sys/class/iommu/dmar0/intel-iommu/cap", buf,
				      sizeof(buf)), want);
	uiommu_host_free(h);
}

#define UUID1 "8a1b5c3e-1111-4a2b-9c3d-0123456789ab"

static void mdevs_through_sysfs(void **state)
{
	(void)state;
	struct uiommu_host *h = new_host();
	char buf[4096], names[2048];
	const char *type = "/sys/class/mdev_bus/0000:01:00.0/mdev_supported_types/idxd-dsa-1dwq-v1";
	char path[512];
	snprintf(path, sizeof(path), "%s/name", type);
	assert_string_equal(read_view(h, path, buf, sizeof(buf)), "dsa-1dwq-v1\n");
	snprintf(path, sizeof(path), "%s/device_api", type);
	assert_string_equal(read_view(h, path, buf, sizeof(buf)), "vfio-pci\n");
	snprintf(path, sizeof(path), "%s/available_instances", type);
	unsigned avail = (unsigned)atoi(read_view(h, path, buf, sizeof(buf)));
	assert_true(avail > 0);
	assert_int_equal(list_names(h, "/sys/class/mdev_bus", names, sizeof(names)), 2);
	assert_string_equal(names, "0000:01:00.0 swmdev0 ");

	/* Writing a UUID to create makes the mdev, as on Linux. */
	snprintf(path, sizeof(path), "%s/create", type);
	assert_int_equal(write_view(h, path, "not-a-uuid"), -EINVAL);
	assert_int_equal(write_view(h, path, UUID1 "\n"), 0);
	assert_non_null(mdev_find(h, UUID1));
	assert_int_equal(write_view(h, path, UUID1), -EEXIST);
	snprintf(path, sizeof(path), "%s/available_instances", type);
	assert_int_equal(atoi(read_view(h, path, buf, sizeof(buf))), (int)avail - 1);
	assert_int_equal(view_readlink(h, "/sys/bus/mdev/devices/" UUID1, buf, sizeof(buf)) > 0, 1);
	assert_string_equal(buf, "../../../devices/pci0000:00/0000:00:01.0/0000:01:00.0/" UUID1);
	view_readlink(h, "/sys/bus/mdev/devices/" UUID1 "/mdev_type", buf, sizeof(buf));
	assert_string_equal(buf, "../mdev_supported_types/idxd-dsa-1dwq-v1");
	view_readlink(h, "/sys/bus/mdev/devices/" UUID1 "/iommu_group", buf, sizeof(buf));
	unsigned gid = iommu_group_id(iommu_group_get(&mdev_find(h, UUID1)->dev));
	snprintf(path, sizeof(path), "../../../../../kernel/iommu_groups/%u", gid);
	assert_string_equal(buf, path);
	snprintf(path, sizeof(path), "/sys/kernel/iommu_groups/%u/devices", gid);
	assert_int_equal(list_names(h, path, names, sizeof(names)), 1);
	assert_string_equal(names, UUID1 " ");
	snprintf(path, sizeof(path), "%s/devices", type);
	assert_int_equal(list_names(h, path, names, sizeof(names)), 1);

	/* And `remove` takes it away with its group. */
	assert_int_equal(write_view(h, "/sys/bus/mdev/devices/" UUID1 "/remove", "0"), 0);
	assert_non_null(mdev_find(h, UUID1));
	assert_int_equal(write_view(h, "/sys/bus/mdev/devices/" UUID1 "/remove", "1"), 0);
	assert_null(mdev_find(h, UUID1));
	struct vfs_loc loc;
	assert_int_equal(vfs_resolve(h, NULL, "/sys/bus/mdev/devices/" UUID1, 0, &loc), -ENOENT);
	snprintf(path, sizeof(path), "/sys/kernel/iommu_groups/%u", gid);
	assert_int_equal(vfs_resolve(h, NULL, path, 0, &loc), -ENOENT);

	/* Created through the C API: in the view too; and by uiommu names. */
	assert_int_equal(uiommu_mdev_create(h, "dsa0:dsa-1dwq-v1", UUID1, NULL), 0);
	assert_int_equal(list_names(h, "/sys/bus/mdev/devices", names, sizeof(names)), 1);
	assert_int_equal(uiommu_mdev_remove(h, UUID1), 0);
	assert_int_equal(sysfs_mdev_create(h, "dsa0", "dsa-1dwq-v1", UUID1), 0);
	assert_int_equal(sysfs_mdev_create(h, "swmdev0", "nothing", UUID1), -ENOENT);
	assert_int_equal(list_names(h, "/sys/bus/mdev/devices", names, sizeof(names)), 1);
	uiommu_host_free(h);
}

static void paths_of_the_view(void **state)
{
	(void)state;
	struct uiommu_host *h = new_host();
	struct vfs_loc loc;
	assert_true(vfs_path_maybe_ours("/sys/bus"));
	assert_true(vfs_path_maybe_ours("//dev/./vfio"));
	assert_true(vfs_path_maybe_ours("/x/../sys"));
	assert_false(vfs_path_maybe_ours("/system"));
	assert_false(vfs_path_maybe_ours("/proc/self/maps"));
	assert_false(vfs_path_maybe_ours("sys/bus"));

	assert_int_equal(vfs_resolve(h, NULL, "/dev/vfio/vfio", 0, &loc), 0);
	assert_int_equal(loc.kind, VFS_DEVNODE);
	struct stat st;
	assert_int_equal(vfs_stat(h, &loc, &st), 0);
	assert_true(S_ISCHR(st.st_mode));
	assert_int_equal(major(st.st_rdev), 10);
	assert_int_equal(minor(st.st_rdev), 196);
	assert_int_equal(vfs_access(h, &loc, R_OK | W_OK), 0);
	int fd = vfs_open(h, &loc, O_RDWR);
	assert_true(fd >= 0);
	struct file *f = fget(fd);
	struct stat fst;
	assert_int_equal(vfs_fstat(f, &fst), 0);
	assert_int_equal(fst.st_rdev, st.st_rdev);
	fput(f);
	uiommu_close(fd);
	assert_int_equal(vfs_resolve(h, NULL, "/dev/vfio/vfio/", 0, &loc), -ENOTDIR);
	assert_int_equal(vfs_resolve(h, NULL, "/dev/vfio/../vfio/2", 0, &loc), 0);
	assert_int_equal(loc.kind, VFS_DEVNODE);
	assert_string_equal(loc.path, "/dev/vfio/2");
	assert_int_equal(vfs_resolve(h, NULL, "/dev/vfio/99", 0, &loc), -ENOENT);
	assert_int_equal(vfs_resolve(h, NULL, "/dev/iommu", 0, &loc),
			 uiommu_node_exists(h, "/dev/iommu") ? 0 : -ENOENT);
	vfs_loc_put(&loc);
	assert_int_equal(vfs_resolve(h, NULL, "/dev/null", 0, &loc), 0);
	assert_int_equal(loc.kind, VFS_REAL);
	assert_int_equal(vfs_resolve(h, NULL, "/sys/kernel/mm/transparent_hugepage", 0, &loc), 0);
	assert_int_equal(loc.kind, VFS_REAL);
	assert_int_equal(vfs_resolve(h, NULL, "relative/path", 0, &loc), 0);
	assert_int_equal(loc.kind, VFS_REAL);
	assert_int_equal(vfs_resolve(h, NULL, "/sys/bus/pci/devices/0000:09:00.0", 0, &loc),
			 -ENOENT);

	char names[1024];
	assert_true(list_names(h, "/dev/vfio", names, sizeof(names)) >= 9);
	assert_non_null(strstr(names, "vfio "));
	assert_non_null(strstr(names, "0 "));

	/* A directory descriptor is a base for relative lookups; attributes
	 * refuse what their mode does not allow. */
	assert_int_equal(vfs_resolve(h, NULL, "/sys/bus/pci/devices/0000:00:02.0", 0, &loc), 0);
	assert_int_equal(vfs_open(h, &loc, O_RDWR), -EISDIR);
	int dfd = vfs_open(h, &loc, O_RDONLY | O_DIRECTORY);
	vfs_loc_put(&loc);
	assert_true(dfd >= 0);
	char buf[8];
	assert_int_equal(uiommu_read(dfd, buf, sizeof(buf)), -EISDIR);
	struct file *df = fget(dfd);
	assert_int_equal(vfs_resolve(h, df, "vendor", 0, &loc), 0);
	assert_int_equal(vfs_open(h, &loc, O_WRONLY), -EACCES);
	assert_int_equal(vfs_open(h, &loc, O_RDONLY | O_DIRECTORY), -ENOTDIR);
	assert_int_equal(vfs_stat(h, &loc, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0444);
	assert_int_equal(vfs_access(h, &loc, W_OK), -EACCES);
	vfs_loc_put(&loc);
	assert_int_equal(vfs_resolve(h, df, "../0000:00:03.0/device", 0, &loc), 0);
	vfs_loc_put(&loc);
	fput(df);
	uiommu_close(dfd);
	uiommu_host_free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(tree_walks_and_links),
		cmocka_unit_test(remove_waits_for_show),
		cmocka_unit_test(pci_devices_as_linux),
		cmocka_unit_test(mdevs_through_sysfs),
		cmocka_unit_test(paths_of_the_view),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
