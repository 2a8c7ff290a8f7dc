/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A tenant's DSA traffic (SPEC R-1, D-4, A-6): the tenant is an idxd mdev
 * (a dedicated WQ of the DSA, isolated by a PASID) bound through its VFIO
 * cdev to a /dev/iommu of its own, with 64 KiB of memory mapped at TENANT_IOVA.
 * An input is what the tenant's driver can do: 64-byte descriptors to the
 * portal (every opcode, batches, any address, often steered into or next
 * to the mapping), writes and reads of the virtual BAR0 and of the
 * configuration space, function resets.
 *
 * The isolation oracle: after every input, memory the tenant has not
 * mapped is unchanged - the 64 KiB on each side of its mapping, a second
 * tenant's mapped memory (a software-isolated neighbour on the same DSA
 * RID with its own PASID) and a page no IOMMU maps. The DSA runs its
 * engines inline (topology option), so an input's descriptors are done
 * when their portal writes return and runs reproduce.
 */
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/vfio.h>
#include <uapi/linux/iommufd.h>
#include <uapi/linux/vfio_cdev.h>
#include <uiommu/files.h>
#include <uiommu/host.h>
#include <uiommu/hw/dsa.h>
#include <uiommu/iommu.h>
#include <uiommu/iommufd.h>
#include <uiommu/mdev.h>
#include <uiommu/vfio.h>

#include "fuzz.h"

#define TENANT_IOVA 0x40000000ull
#define WIN         (64u << 10)
#define BAR0        UIOMMU_VFIO_REGION_OFFSET(VFIO_PCI_BAR0_REGION_INDEX)
#define BAR2        UIOMMU_VFIO_REGION_OFFSET(VFIO_PCI_BAR2_REGION_INDEX)
#define CFG         UIOMMU_VFIO_REGION_OFFSET(VFIO_PCI_CONFIG_REGION_INDEX)

struct tenant {
	const char *uuid;
	int iommufd, dfd;
	uint32_t ioas;
	uint8_t *mem;       /* 3 windows: unmapped, mapped, unmapped */
};

static struct uiommu_host *host;
static struct tenant me = { .uuid = "f0d5a000-0000-4000-8000-000000000001" };
static struct tenant other = { .uuid = "f0d5a000-0000-4000-8000-000000000002" };
static uint8_t *secret, *snap_me, *snap_other, *snap_secret;

static long ioc(int fd, unsigned long cmd, void *arg)
{
	return uiommu_ioctl(fd, cmd, (unsigned long)(uintptr_t)arg);
}

static void w32(int dfd, uint64_t off, uint32_t v)
{
	uiommu_pwrite(dfd, &v, 4, (int64_t)off);
}

/* The tenant's VM: a context, its IOAS with the middle window mapped,
 * the mdev's cdev bound and attached, bus mastering, device and WQ on. */
static void tenant_up(struct tenant *t)
{
	t->iommufd = uiommu_open(host, "/dev/iommu", O_RDWR);
	struct iommu_ioas_alloc a = { .size = sizeof(a) };
	FUZZ_ASSERT(t->iommufd >= 0 && !ioc(t->iommufd, IOMMU_IOAS_ALLOC, &a), "tenant context");
	t->ioas = a.out_ioas_id;
	struct iommu_ioas_map m = { .size = sizeof(m), .ioas_id = t->ioas,
				    .flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE |
					     IOMMU_IOAS_MAP_WRITEABLE,
				    .user_va = (uintptr_t)(t->mem + WIN), .length = WIN,
				    .iova = TENANT_IOVA };
	FUZZ_ASSERT(!ioc(t->iommufd, IOMMU_IOAS_MAP, &m), "tenant map");
	struct device *dev = uiommu_device_find(host, t->uuid);
	char name[16], path[64];
	FUZZ_ASSERT(dev && !vfio_device_cdev_name(host, dev, name, sizeof(name)), "mdev cdev");
	snprintf(path, sizeof(path), "/dev/vfio/devices/%s", name);
	t->dfd = uiommu_open(host, path, O_RDWR);
	struct vfio_device_bind_iommufd b = { .argsz = sizeof(b), .iommufd = t->iommufd };
	struct vfio_device_attach_iommufd_pt at = { .argsz = sizeof(at), .pt_id = t->ioas };
	FUZZ_ASSERT(t->dfd >= 0 && !ioc(t->dfd, VFIO_DEVICE_BIND_IOMMUFD, &b) &&
			    !ioc(t->dfd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &at),
		    "bind and attach");
	uint16_t cmd = 0x6;
	uiommu_pwrite(t->dfd, &cmd, 2, (int64_t)(CFG + 0x04));
	w32(t->dfd, BAR0 + DSA_REG_CMD, DSA_CMD(DSA_CMD_ENABLE_DEVICE, 0));
	w32(t->dfd, BAR0 + DSA_REG_CMD, DSA_CMD(DSA_CMD_ENABLE_WQ, 0));
}

static void tenant_down(struct tenant *t)
{
	uiommu_close(t->dfd);
	uiommu_close(t->iommufd);
}

/* An address a descriptor names: in the mapping, just outside it, the
 * neighbour's or the secret's host address (as if the tenant guessed
 * physical addresses), or anything. */
static uint64_t steer(uint64_t v)
{
	uint64_t off = (v >> 3) % (WIN + 8192);
	switch (v & 7) {
	case 0:
	case 1:
	case 2:
		return TENANT_IOVA + (off % WIN);
	case 3:
		return TENANT_IOVA - 4096 + off;
	case 4:
		return (uint64_t)(uintptr_t)other.mem + (off % (3 * WIN));
	case 5:
		return (uint64_t)(uintptr_t)secret + (off % 4096);
	default:
		return v;
	}
}

static void submit(struct fz *in)
{
	struct dsa_hw_desc d;
	fz_bytes(in, &d, sizeof(d));
	uint8_t how = fz_u8(in);
	if (how & 1) {
		/* Steered: the address fields and a sane size most times. */
		d.completion_addr = steer(d.completion_addr);
		d.src_addr = steer(d.src_addr);
		d.dst_addr = steer(d.dst_addr);
		uint64_t *q = (uint64_t *)&d;
		q[5] = steer(q[5]); /* src2 / pattern / batch list address */
		if (how & 2)
			d.xfer_size %= 2 * WIN;
	}
	/* A batch list the tenant wrote into its memory first. */
	if (how & 4) {
		unsigned off = fz_u16(in) % (WIN / 64 - 4) * 64;
		for (unsigned i = 0; i < 4; i++) {
			struct dsa_hw_desc *b = (struct dsa_hw_desc *)(me.mem + WIN + off) + i;
			fz_bytes(in, b, sizeof(*b));
			b->completion_addr = steer(b->completion_addr);
			b->src_addr = steer(b->src_addr);
			b->dst_addr = steer(b->dst_addr);
		}
	}
	uiommu_pwrite(me.dfd, &d, sizeof(d), (int64_t)(BAR2 + (fz_u8(in) & 0x40 ? 64 : 0)));
}

static void reg_access(struct fz *in, uint64_t region, unsigned span)
{
	unsigned sizes[] = { 1, 2, 4, 8 };
	unsigned size = sizes[fz_u8(in) & 3];
	uint64_t off = fz_u16(in) % span, v = fz_u64(in);
	if (fz_u8(in) & 1)
		uiommu_pread(me.dfd, &v, size, (int64_t)(region + off));
	else
		uiommu_pwrite(me.dfd, &v, size, (int64_t)(region + off));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz in = { data, size };
	/* Every input starts from the same memory. */
	memcpy(me.mem + WIN, snap_me + WIN, WIN);
	tenant_up(&me);
	for (unsigned steps = 0; in.n && steps < 64; steps++) {
		switch (fz_u8(&in) % 8) {
		case 0:
		case 1:
		case 2:
			submit(&in);
			break;
		case 3:
			reg_access(&in, BAR0, 0x1000);
			break;
		case 4:
			reg_access(&in, CFG, 0x1000);
			break;
		case 5: {
			/* A well-formed command. */
			uint32_t c = DSA_CMD(fz_u8(&in) % 0x20, fz_u16(&in));
			w32(me.dfd, BAR0 + DSA_REG_CMD, c);
			break;
		}
		case 6:
			ioc(me.dfd, VFIO_DEVICE_RESET, NULL);
			break;
		default:
			reg_access(&in, BAR2, 0x2000);
			break;
		}
	}
	tenant_down(&me);
	FUZZ_ASSERT(!memcmp(me.mem, snap_me, WIN), "the tenant's unmapped memory below changed");
	FUZZ_ASSERT(!memcmp(me.mem + 2 * WIN, snap_me + 2 * WIN, WIN),
		    "the tenant's unmapped memory above changed");
	FUZZ_ASSERT(!memcmp(other.mem, snap_other, 3 * WIN), "the other tenant's memory changed");
	FUZZ_ASSERT(!memcmp(secret, snap_secret, 4096), "memory no IOMMU maps changed");
	FUZZ_ASSERT(uiommu_pinned_pages() ==
			    (uint64_t)(WIN / 4096), /* the other tenant's, still bound */
		    "pins left: %llu", (unsigned long long)uiommu_pinned_pages());
	return 0;
}

static uint8_t *region(size_t len, uint8_t fill)
{
	uint8_t *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	FUZZ_ASSERT(p != MAP_FAILED, "memory");
	for (size_t i = 0; i < len; i++)
		p[i] = (uint8_t)(fill + i * 31);
	return p;
}

static const char topo_opts[] =
	", \"options\": { \"inline_engines\": true, \"block_on_fault\": false }";

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	const char *def = uiommu_default_topology();
	static const char key[] = "\"model\": \"dsa\"";
	const char *at = strstr(def, key);
	FUZZ_ASSERT(at, "the default topology has a DSA");
	size_t head = (size_t)(at - def) + sizeof(key) - 1;
	char *json = malloc(strlen(def) + sizeof(topo_opts)), err[256];
	memcpy(json, def, head);
	strcpy(json + head, topo_opts);
	strcat(json, def + head);
	struct uiommu_host_opts o = { .topology_json = json };
	FUZZ_ASSERT(!uiommu_host_new(&o, &host, err, sizeof(err)), "host: %s", err);
	free(json);
	struct device *m;
	FUZZ_ASSERT(!uiommu_mdev_create(host, "dsa-1dwq-v1", me.uuid, &m) &&
			    !uiommu_mdev_create(host, "dsa-1dwq-v1", other.uuid, &m),
		    "mdevs");
	me.mem = region(3 * WIN, 0x11);
	other.mem = region(3 * WIN, 0x77);
	secret = region(4096, 0xa5);
	snap_me = region(3 * WIN, 0x11);
	snap_other = region(3 * WIN, 0x77);
	snap_secret = region(4096, 0xa5);
	tenant_up(&other);
	memcpy(snap_other, other.mem, 3 * WIN);
	return 0;
}
