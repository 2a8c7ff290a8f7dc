/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vfio_dmatest: a userspace driver for a dmatest DMA engine through the
 * legacy VFIO API (container, group, type1v2), written only against the
 * Linux uAPI headers - what runs on a Linux machine with an IOMMU runs
 * unchanged under `uiommu exec` (SPEC F-2, docs/exec.md):
 *
 *   uiommu exec -- build/examples/vfio_dmatest [DDDD:BB:DD.F]
 *
 * It finds the device in sysfs, gives its group to a container, maps two
 * buffers for DMA, has the device copy one into the other, and shows the
 * IOMMU stopping a DMA to an address it was never given and to one taken
 * back. Exit status 0 when every step behaved as Linux specifies.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/pci_regs.h>
#include <linux/vfio.h>

/* The device's registers (BAR0), from its datasheet (uiommu's
 * include/uiommu/hw/dmatest.h). */
#define DMATEST_VENDOR 0x1b36
#define DMATEST_DEVICE 0x00d7
#define REG_ID 0x00
#define REG_SRC 0x08
#define REG_DST 0x10
#define REG_LEN 0x18
#define REG_CTRL 0x1c
#define REG_STATUS 0x20
#define REG_ERROR 0x24
#define REG_FAULT 0x28
#define ID_VALUE 0x444d5401u
#define CTRL_GO 1u
#define STATUS_DONE 2u
#define STATUS_ERROR 3u
#define ERR_READ 1u
#define ERR_WRITE 2u

#define BUF_SIZE (64u << 10)
#define IOVA_SRC 0x10000000ull
#define IOVA_DST 0x20000000ull

static int fail(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "vfio_dmatest: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "%s%s\n", errno ? ": " : "", errno ? strerror(errno) : "");
	va_end(ap);
	exit(1);
}

static unsigned long sysfs_hex(const char *bdf, const char *attr)
{
	char path[256];
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/%s", bdf, attr);
	FILE *f = fopen(path, "r");
	unsigned long v = 0;
	if (!f || fscanf(f, "%lx", &v) != 1)
		v = ~0ul;
	if (f)
		fclose(f);
	return v;
}

/* The first dmatest function bound to vfio-pci, as a user would look. */
static bool find_device(char *bdf, size_t size)
{
	DIR *d = opendir("/sys/bus/pci/devices");
	if (!d)
		fail("opendir /sys/bus/pci/devices");
	struct dirent *e;
	bool found = false;
	while (!found && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		char link[256], path[300];
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver", e->d_name);
		ssize_t n = readlink(path, link, sizeof(link) - 1);
		if (n <= 0)
			continue;
		link[n] = 0;
		found = sysfs_hex(e->d_name, "vendor") == DMATEST_VENDOR &&
			sysfs_hex(e->d_name, "device") == DMATEST_DEVICE &&
			!strcmp(strrchr(link, '/') + 1, "vfio-pci");
		if (found && strlen(e->d_name) < size)
			memcpy(bdf, e->d_name, strlen(e->d_name) + 1);
	}
	closedir(d);
	return found;
}

static int group_of(const char *bdf)
{
	char path[256], link[256];
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/iommu_group", bdf);
	ssize_t n = readlink(path, link, sizeof(link) - 1);
	if (n <= 0)
		fail("%s has no IOMMU group", bdf);
	link[n] = 0;
	return atoi(strrchr(link, '/') + 1);
}

struct dev {
	int fd;
	uint64_t bar0, config;
};

static void reg_write(struct dev *d, unsigned off, uint64_t v, unsigned size)
{
	if (pwrite(d->fd, &v, size, (off_t)(d->bar0 + off)) != (ssize_t)size)
		fail("BAR0 write at 0x%x", off);
}

static uint64_t reg_read(struct dev *d, unsigned off, unsigned size)
{
	uint64_t v = 0;
	if (pread(d->fd, &v, size, (off_t)(d->bar0 + off)) != (ssize_t)size)
		fail("BAR0 read at 0x%x", off);
	return v;
}

static uint64_t region(int fd, unsigned index)
{
	struct vfio_region_info ri = { .argsz = sizeof(ri), .index = index };
	if (ioctl(fd, VFIO_DEVICE_GET_REGION_INFO, &ri))
		fail("VFIO_DEVICE_GET_REGION_INFO %u", index);
	return ri.offset;
}

/* One copy; the status the device ends in, and its error code. */
static unsigned copy(struct dev *d, uint64_t src, uint64_t dst, uint32_t len, unsigned *err)
{
	reg_write(d, REG_SRC, src, 8);
	reg_write(d, REG_DST, dst, 8);
	reg_write(d, REG_LEN, len, 4);
	reg_write(d, REG_CTRL, CTRL_GO, 4);
	unsigned status;
	for (int waited = 0; (status = (unsigned)reg_read(d, REG_STATUS, 4)) != STATUS_DONE &&
			     status != STATUS_ERROR; waited++) {
		if (waited == 50000)
			fail("the device did not finish a copy in 5 s (status %u)", status);
		usleep(100);
	}
	*err = (unsigned)reg_read(d, REG_ERROR, 4);
	return status;
}

static void map(int container, void *va, uint64_t iova, uint32_t flags)
{
	struct vfio_iommu_type1_dma_map m = {
		.argsz = sizeof(m), .flags = flags, .vaddr = (uintptr_t)va, .iova = iova,
		.size = BUF_SIZE,
	};
	if (ioctl(container, VFIO_IOMMU_MAP_DMA, &m))
		fail("VFIO_IOMMU_MAP_DMA at 0x%" PRIx64, iova);
}

int main(int argc, char **argv)
{
	char bdf[64];
	if (argc > 1)
		snprintf(bdf, sizeof(bdf), "%s", argv[1]);
	else if (!find_device(bdf, sizeof(bdf)))
		fail("no dmatest function bound to vfio-pci");
	int group_id = group_of(bdf);
	printf("device %s, IOMMU group %d\n", bdf, group_id);

	int container = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
	if (container < 0 || ioctl(container, VFIO_GET_API_VERSION) != VFIO_API_VERSION ||
	    ioctl(container, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU) != 1)
		fail("no VFIO type1v2 container");
	char path[64];
	snprintf(path, sizeof(path), "/dev/vfio/%d", group_id);
	int group = open(path, O_RDWR | O_CLOEXEC);
	struct vfio_group_status gs = { .argsz = sizeof(gs) };
	if (group < 0 || ioctl(group, VFIO_GROUP_GET_STATUS, &gs))
		fail("%s", path);
	if (!(gs.flags & VFIO_GROUP_FLAGS_VIABLE))
		fail("group %d is not viable (a device in it is bound elsewhere)", group_id);
	if (ioctl(group, VFIO_GROUP_SET_CONTAINER, &container) ||
	    ioctl(container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU))
		fail("attaching group %d", group_id);

	struct dev d = { .fd = ioctl(group, VFIO_GROUP_GET_DEVICE_FD, bdf) };
	if (d.fd < 0)
		fail("VFIO_GROUP_GET_DEVICE_FD %s", bdf);
	d.bar0 = region(d.fd, VFIO_PCI_BAR0_REGION_INDEX);
	d.config = region(d.fd, VFIO_PCI_CONFIG_REGION_INDEX);
	if (reg_read(&d, REG_ID, 4) != ID_VALUE)
		fail("not a dmatest engine");
	uint16_t cmd;
	if (pread(d.fd, &cmd, 2, (off_t)(d.config + PCI_COMMAND)) != 2)
		fail("config read");
	/* What pci_enable_device() and pci_set_master() do. */
	cmd |= PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER;
	if (pwrite(d.fd, &cmd, 2, (off_t)(d.config + PCI_COMMAND)) != 2)
		fail("enabling memory decoding and bus mastering");

	uint8_t *src = mmap(NULL, BUF_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint8_t *dst = mmap(NULL, BUF_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (src == MAP_FAILED || dst == MAP_FAILED)
		fail("buffers");
	for (unsigned i = 0; i < BUF_SIZE; i++)
		src[i] = (uint8_t)(i * 7 + 3);
	map(container, src, IOVA_SRC, VFIO_DMA_MAP_FLAG_READ);
	map(container, dst, IOVA_DST, VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE);

	unsigned err;
	if (copy(&d, IOVA_SRC, IOVA_DST, BUF_SIZE, &err) != STATUS_DONE)
		fail("DMA copy failed (error %u)", err);
	if (memcmp(src, dst, BUF_SIZE))
		fail("DMA copy: the data differ");
	printf("copied %u bytes from IOVA 0x%llx to 0x%llx\n", BUF_SIZE, IOVA_SRC, IOVA_DST);

	/* The IOMMU: no writes where nothing is mapped, none through a
	 * read-only mapping, and nothing once a mapping is taken back. */
	errno = 0;
	if (copy(&d, IOVA_SRC, 0x40000000ull, 4096, &err) != STATUS_ERROR || err != ERR_WRITE)
		fail("a DMA to an unmapped IOVA was not blocked");
	printf("DMA to unmapped IOVA 0x40000000 blocked (fault at 0x%" PRIx64 ")\n",
	       reg_read(&d, REG_FAULT, 8));
	if (copy(&d, IOVA_DST, IOVA_SRC, 4096, &err) != STATUS_ERROR || err != ERR_WRITE)
		fail("a DMA write through a read-only mapping was not blocked");
	printf("DMA write to read-only IOVA 0x%llx blocked\n", IOVA_SRC);
	struct vfio_iommu_type1_dma_unmap um = { .argsz = sizeof(um), .iova = IOVA_SRC,
						 .size = BUF_SIZE };
	if (ioctl(container, VFIO_IOMMU_UNMAP_DMA, &um) || um.size != BUF_SIZE)
		fail("VFIO_IOMMU_UNMAP_DMA");
	if (copy(&d, IOVA_SRC, IOVA_DST, 4096, &err) != STATUS_ERROR || err != ERR_READ)
		fail("a DMA from an unmapped IOVA was not blocked");
	printf("DMA from IOVA 0x%llx after unmap blocked\n", IOVA_SRC);

	close(d.fd);
	close(group);
	close(container);
	printf("ok\n");
	return 0;
}
