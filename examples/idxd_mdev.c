/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * idxd_mdev: a DSA work queue assigned to userspace as an mdev - an
 * Assignable Device Interface isolated by a PASID - written only against
 * the Linux uAPI headers (<linux/vfio.h>, <linux/idxd.h>); under
 * `uiommu exec` it runs against uiommu's idxd parent (SPEC F-2, M-1..M-3):
 *
 *   uiommu exec [--mdev dsa0:dsa-1dwq-v1=UUID] -- build/examples/idxd_mdev [UUID]
 *
 * Without a UUID it creates an mdev through sysfs as mdevctl would, and
 * removes it at the end. The mdev is a device of its own with its own
 * IOMMU group; VFIO gives it an auxiliary domain whose PASID the parent
 * puts in the physical WQ's configuration, so every descriptor the user
 * submits is translated through the user's mappings and nothing else.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sched.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <linux/idxd.h>
#include <linux/pci_regs.h>
#include <linux/vfio.h>

/* DSA registers (BAR0) and commands, from the Intel DSA specification
 * (uiommu's include/uiommu/hw/dsa.h). */
#define DSA_REG_CMD 0x0a0
#define DSA_REG_CMDSTS 0x0a8
#define DSA_CMD(cmd, operand) ((((uint32_t)(cmd) & 0x1f) << 20) | ((operand) & 0xfffff))
#define DSA_CMD_ENABLE_DEVICE 1
#define DSA_CMD_ENABLE_WQ 6
#define DSA_CMDSTS_ACTIVE (1u << 31)
#define DSA_COMP_STATUS(s) ((s) & 0x7f)

#define MDEV_TYPE "dsa-1dwq-v1"
#define BUF_SIZE (16u << 10)
#define IOVA_SRC 0x100000ull
#define IOVA_DST 0x200000ull
#define IOVA_CR 0x300000ull

static int fail(const char *fmt, ...)
{
	int err = errno;
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "idxd_mdev: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "%s%s\n", err ? ": " : "", err ? strerror(err) : "");
	va_end(ap);
	exit(1);
}

static void write_attr(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY);
	if (fd < 0 || write(fd, s, strlen(s)) != (ssize_t)strlen(s))
		fail("writing %s", path);
	close(fd);
}

/* The type directory "<driver>-dsa-1dwq-v1" of the first parent offering it. */
static bool find_type(char *out, size_t size)
{
	DIR *bus = opendir("/sys/class/mdev_bus");
	if (!bus)
		fail("no /sys/class/mdev_bus");
	struct dirent *p;
	bool found = false;
	while (!found && (p = readdir(bus))) {
		char path[512];
		snprintf(path, sizeof(path), "/sys/class/mdev_bus/%s/mdev_supported_types", p->d_name);
		DIR *types = p->d_name[0] == '.' ? NULL : opendir(path);
		struct dirent *t;
		while (types && !found && (t = readdir(types))) {
			size_t n = strlen(t->d_name), m = strlen(MDEV_TYPE);
			found = n > m && !strcmp(t->d_name + n - m, MDEV_TYPE) && t->d_name[n - m - 1] == '-';
			if (found) {
				int k = snprintf(out, size, "%s/%s", path, t->d_name);
				found = k > 0 && (size_t)k < size;
			}
		}
		if (types)
			closedir(types);
	}
	closedir(bus);
	return found;
}

struct vdsa {
	int fd;
	uint64_t cfg, bar0, bar2;
};

static uint64_t region(int fd, unsigned index)
{
	struct vfio_region_info ri = { .argsz = sizeof(ri), .index = index };
	if (ioctl(fd, VFIO_DEVICE_GET_REGION_INFO, &ri))
		fail("VFIO_DEVICE_GET_REGION_INFO %u", index);
	return ri.offset;
}

static unsigned command(struct vdsa *v, unsigned cmd, unsigned operand)
{
	uint32_t c = DSA_CMD(cmd, operand), st;
	if (pwrite(v->fd, &c, 4, (off_t)(v->bar0 + DSA_REG_CMD)) != 4)
		fail("command write");
	do {
		if (pread(v->fd, &st, 4, (off_t)(v->bar0 + DSA_REG_CMDSTS)) != 4)
			fail("status read");
	} while (st & DSA_CMDSTS_ACTIVE);
	return st & 0xff;
}

static void map(int container, void *va, uint64_t iova, size_t size)
{
	struct vfio_iommu_type1_dma_map m = {
		.argsz = sizeof(m), .flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
		.vaddr = (uintptr_t)va, .iova = iova, .size = size,
	};
	if (ioctl(container, VFIO_IOMMU_MAP_DMA, &m))
		fail("VFIO_IOMMU_MAP_DMA at 0x%" PRIx64, iova);
}

/* Submit one descriptor through the WQ's portal; the completion status. */
static unsigned run(struct vdsa *v, struct dsa_hw_desc *d,
		    volatile struct dsa_completion_record *cr)
{
	memset((void *)cr, 0, sizeof(*cr));
	if (pwrite(v->fd, d, sizeof(*d), (off_t)v->bar2) != sizeof(*d))
		fail("portal write");
	struct timespec t0, t;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	unsigned st;
	while (!(st = __atomic_load_n(&cr->status, __ATOMIC_ACQUIRE))) {
		clock_gettime(CLOCK_MONOTONIC, &t);
		if (t.tv_sec - t0.tv_sec > 5)
			fail("no completion record in 5 s");
		sched_yield();
	}
	return DSA_COMP_STATUS(st);
}

int main(int argc, char **argv)
{
	char uuid[64], type[384] = "", path[512];
	bool created = argc < 2;
	if (!created) {
		snprintf(uuid, sizeof(uuid), "%s", argv[1]);
	} else {
		if (!find_type(type, sizeof(type)))
			fail("no parent offers %s", MDEV_TYPE);
		FILE *r = fopen("/proc/sys/kernel/random/uuid", "r");
		if (!r || !fgets(uuid, sizeof(uuid), r))
			fail("no UUID");
		fclose(r);
		uuid[strcspn(uuid, "\n")] = 0;
		snprintf(path, sizeof(path), "%s/create", type);
		write_attr(path, uuid);
	}
	char link[256];
	snprintf(path, sizeof(path), "/sys/bus/mdev/devices/%s/iommu_group", uuid);
	ssize_t n = readlink(path, link, sizeof(link) - 1);
	if (n <= 0)
		fail("mdev %s has no IOMMU group", uuid);
	link[n] = 0;
	int group_id = atoi(strrchr(link, '/') + 1);
	printf("mdev %s, IOMMU group %d\n", uuid, group_id);

	int container = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
	snprintf(path, sizeof(path), "/dev/vfio/%d", group_id);
	int group = open(path, O_RDWR | O_CLOEXEC);
	if (container < 0 || group < 0 || ioctl(group, VFIO_GROUP_SET_CONTAINER, &container) ||
	    ioctl(container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU))
		fail("setting up VFIO for group %d", group_id);
	struct vdsa v = { .fd = ioctl(group, VFIO_GROUP_GET_DEVICE_FD, uuid) };
	if (v.fd < 0)
		fail("VFIO_GROUP_GET_DEVICE_FD %s", uuid);
	v.cfg = region(v.fd, VFIO_PCI_CONFIG_REGION_INDEX);
	v.bar0 = region(v.fd, VFIO_PCI_BAR0_REGION_INDEX);
	v.bar2 = region(v.fd, VFIO_PCI_BAR2_REGION_INDEX);

	uint8_t *src = mmap(NULL, BUF_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint8_t *dst = mmap(NULL, BUF_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct dsa_completion_record *cr = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
						MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (src == MAP_FAILED || dst == MAP_FAILED || cr == MAP_FAILED)
		fail("buffers");
	for (unsigned i = 0; i < BUF_SIZE; i++)
		src[i] = (uint8_t)(i * 13 + 1);
	map(container, src, IOVA_SRC, BUF_SIZE);
	map(container, dst, IOVA_DST, BUF_SIZE);
	map(container, cr, IOVA_CR, 4096);

	uint16_t cmd = PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER;
	if (pwrite(v.fd, &cmd, 2, (off_t)(v.cfg + PCI_COMMAND)) != 2)
		fail("config write");
	unsigned e;
	errno = 0;
	if ((e = command(&v, DSA_CMD_ENABLE_DEVICE, 0)) || (e = command(&v, DSA_CMD_ENABLE_WQ, 0)))
		fail("the virtual DSA refused to enable (CMDSTS error 0x%x)", e);
	printf("virtual DSA and its WQ enabled: the parent tagged the WQ with the mdev's PASID\n");

	struct dsa_hw_desc d = {
		.opcode = DSA_OPCODE_MEMMOVE,
		.flags = IDXD_OP_FLAG_CRAV | IDXD_OP_FLAG_RCR,
		.src_addr = IOVA_SRC,
		.dst_addr = IOVA_DST,
		.xfer_size = BUF_SIZE,
		.completion_addr = IOVA_CR,
	};
	unsigned st = run(&v, &d, cr);
	if (st != DSA_COMP_SUCCESS || memcmp(src, dst, BUF_SIZE))
		fail("MEMMOVE: status 0x%x%s", st, st == DSA_COMP_SUCCESS ? ", data differ" : "");
	printf("MEMMOVE of %u bytes through the PASID's domain: done\n", BUF_SIZE);

	/* An address outside the user's mappings: the IOMMU stops it in the
	 * PASID's domain and the device reports a page fault. */
	d.dst_addr = 0x40000000ull;
	d.xfer_size = 4096;
	st = run(&v, &d, cr);
	if (st != DSA_COMP_PAGE_FAULT_NOBOF)
		fail("a MEMMOVE to an unmapped IOVA completed with 0x%x", st);
	printf("MEMMOVE to unmapped IOVA 0x40000000: page fault at 0x%" PRIx64 "\n",
	       (uint64_t)cr->fault_addr);

	close(v.fd);
	close(group);
	close(container);
	if (created) {
		snprintf(path, sizeof(path), "/sys/bus/mdev/devices/%s/remove", uuid);
		write_attr(path, "1");
	}
	printf("ok\n");
	return 0;
}
