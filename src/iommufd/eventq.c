/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Event queues with a file (SPEC U-11, U-13): a FAULT object delivers I/O
 * page faults - read() gives struct iommu_hwpt_pgfault records, a page
 * group's records sharing a cookie; write() takes struct
 * iommu_hwpt_page_response answers by cookie - and a vEVENTQ delivers a
 * vIOMMU's events, each behind a struct iommufd_vevent_header, with a
 * LOST_EVENTS header when the queue overflowed. poll/epoll readiness is
 * the descriptor's own (file_set_readable). Linux's eventq.c in shape.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "iommufd_private.h"
#include "../base/uaccess.h"
#include "../files/file.h"
#include "../util/slab.h"

/* Caller holds eventq->lock. */
static void update_readable(struct iommufd_eventq *eventq, struct file *f)
{
	if (f)
		file_set_readable(f, !list_empty(&eventq->deliver));
}

/* The queue's open file, NULL once it is closed. Caller holds lock. */
static struct file *queue_file(struct iommufd_eventq *eventq)
{
	return eventq->filep;
}

/* ---- FAULT ---- */

static void free_group(struct iopf_group *group)
{
	free(group->faults);
	free(group);
}

static void respond_group(struct iopf_group *group, enum iommu_page_response_code code)
{
	/* The group's last request carries what the hardware needs. */
	iommu_page_response(group->dev, &group->faults[group->nr_faults - 1], code);
}

/* Answer INVALID (the device gives up on the faulting access) and let go of
 * each group of a list the caller has taken out of the queue. */
static void fail_groups(struct list_node *groups)
{
	struct iopf_group *g, *t;
	list_for_each_entry_safe(g, t, groups, node) {
		list_del(&g->node);
		respond_group(g, IOMMU_PAGE_RESP_INVALID);
		free_group(g);
	}
}

static bool group_matches(const struct iopf_group *g, struct device *dev, ioasid_t pasid)
{
	ioasid_t gp = g->pasid_valid ? g->pasid : IOMMU_NO_PASID;
	return g->dev == dev && gp == pasid;
}

void iommufd_auto_response_faults(struct iommufd_hw_pagetable *hwpt, struct device *dev,
				  ioasid_t pasid)
{
	struct iommufd_fault *fault = hwpt->fault;
	if (!fault)
		return;
	struct list_node gone = LIST_HEAD_INIT(gone);
	struct iopf_group *g, *t;
	pthread_mutex_lock(&fault->mutex);
	pthread_mutex_lock(&fault->common.lock);
	list_for_each_entry_safe(g, t, &fault->common.deliver, node) {
		if (g->hwpt == hwpt && group_matches(g, dev, pasid)) {
			list_del(&g->node);
			list_add_tail(&g->node, &gone);
		}
	}
	list_for_each_entry_safe(g, t, &fault->partial, node) {
		if (g->hwpt == hwpt && group_matches(g, dev, pasid)) {
			list_del(&g->node);
			list_add_tail(&g->node, &gone);
		}
	}
	update_readable(&fault->common, queue_file(&fault->common));
	pthread_mutex_unlock(&fault->common.lock);
	uint64_t index;
	xa_for_each(&fault->response, index, g) {
		if (g->hwpt == hwpt && group_matches(g, dev, pasid)) {
			xa_erase(&fault->response, index);
			list_add_tail(&g->node, &gone);
		}
	}
	pthread_mutex_unlock(&fault->mutex);
	fail_groups(&gone);
}

void iommufd_fault_destroy(struct iommufd_object *obj)
{
	struct iommufd_fault *fault = (struct iommufd_fault *)obj;
	/* Nothing else can reach the object now: every fault still here
	 * gets an answer, so no device waits forever. */
	struct iopf_group *g;
	fail_groups(&fault->common.deliver);
	fail_groups(&fault->partial);
	uint64_t index;
	xa_for_each(&fault->response, index, g) {
		xa_erase(&fault->response, index);
		respond_group(g, IOMMU_PAGE_RESP_INVALID);
		free_group(g);
	}
	xa_destroy(&fault->response);
	pthread_mutex_destroy(&fault->mutex);
	pthread_mutex_destroy(&fault->common.lock);
}

/* The group a request belongs to, among those still gathering. */
static struct iopf_group *partial_group(struct iommufd_fault *fault,
					const struct iommu_page_request *req)
{
	struct iopf_group *g;
	list_for_each_entry(g, &fault->partial, node)
		if (g->dev == req->dev && g->pasid_valid == req->pasid_valid &&
		    g->pasid == req->pasid && g->grpid == req->grpid)
			return g;
	return NULL;
}

static int group_add(struct iopf_group *g, const struct iommu_page_request *req)
{
	struct iommu_page_request *f = krealloc(g->faults, (g->nr_faults + 1) * sizeof(*f));
	if (!f)
		return -ENOMEM;
	g->faults = f;
	g->faults[g->nr_faults++] = *req;
	return 0;
}

/*
 * A page request for a fault-capable HWPT (from the IOMMU's page request
 * interrupt): gathered into its page group, and the group delivered to
 * the queue with its last request. One that cannot be delivered is
 * answered Invalid at once, so the device does not wait.
 */
void iommufd_fault_iopf_handler(struct iommu_domain *domain, const struct iommu_page_request *req,
				void *token)
{
	struct iommufd_hw_pagetable *hwpt = token;
	struct iommufd_fault *fault = hwpt->fault;
	(void)domain;
	struct iommufd_device *idev = iommufd_ctx_find_device(fault->common.ictx, req->dev);
	if (!idev) {
		iommu_page_response(req->dev, req, IOMMU_PAGE_RESP_INVALID);
		return;
	}
	pthread_mutex_lock(&fault->common.lock);
	if (!queue_file(&fault->common)) {
		/* Nobody can read or answer it any more (fault_release). */
		pthread_mutex_unlock(&fault->common.lock);
		iommufd_put_object(fault->common.ictx, &idev->obj);
		if (req->last_page)
			iommu_page_response(req->dev, req, IOMMU_PAGE_RESP_INVALID);
		return;
	}
	struct iopf_group *g = partial_group(fault, req);
	bool fresh = !g;
	if (fresh && (g = kcalloc(1, sizeof(*g)))) {
		g->dev = req->dev;
		g->idev = idev;
		g->hwpt = hwpt;
		g->pasid_valid = req->pasid_valid;
		g->pasid = req->pasid;
		g->grpid = req->grpid;
		list_add_tail(&g->node, &fault->partial);
	}
	if (!g || group_add(g, req)) {
		if (g && fresh) {
			list_del(&g->node);
			free(g);
		}
		pthread_mutex_unlock(&fault->common.lock);
		iommufd_put_object(fault->common.ictx, &idev->obj);
		iommu_page_response(req->dev, req, IOMMU_PAGE_RESP_INVALID);
		return;
	}
	if (req->last_page) {
		list_del(&g->node);
		list_add_tail(&g->node, &fault->common.deliver);
		update_readable(&fault->common, queue_file(&fault->common));
	}
	pthread_mutex_unlock(&fault->common.lock);
	iommufd_put_object(fault->common.ictx, &idev->obj);
}

static void compose(const struct iommu_page_request *req, const struct iopf_group *g,
		    struct iommu_hwpt_pgfault *out)
{
	memset(out, 0, sizeof(*out));
	out->flags = (req->pasid_valid ? IOMMU_PGFAULT_FLAGS_PASID_VALID : 0) |
		     (req->last_page ? IOMMU_PGFAULT_FLAGS_LAST_PAGE : 0);
	out->dev_id = g->idev->obj.id;
	out->pasid = req->pasid;
	out->grpid = req->grpid;
	/* IOMMU_FAULT_PERM_* and IOMMU_PGFAULT_PERM_* are the same bits. */
	out->perm = req->perm;
	out->addr = req->addr;
	out->length = 0;
	out->cookie = g->cookie;
}

static struct iopf_group *deliver_fetch(struct iommufd_fault *fault)
{
	struct iopf_group *g = NULL;
	pthread_mutex_lock(&fault->common.lock);
	if (!list_empty(&fault->common.deliver)) {
		g = list_entry(fault->common.deliver.next, struct iopf_group, node);
		list_del(&g->node);
	}
	pthread_mutex_unlock(&fault->common.lock);
	return g;
}

static void deliver_restore(struct iommufd_fault *fault, struct iopf_group *g)
{
	pthread_mutex_lock(&fault->common.lock);
	list_add_head(&g->node, &fault->common.deliver);
	pthread_mutex_unlock(&fault->common.lock);
}

/* Whole groups only; a buffer too small for the first group is EINVAL,
 * nothing queued reads 0 (no blocking, as Linux). */
static ssize_t fault_read(struct file *f, void *buf, size_t count, int64_t *pos)
{
	struct iommufd_fault *fault = f->private_data;
	const size_t fsz = sizeof(struct iommu_hwpt_pgfault);
	if (*pos || count % fsz)
		return -ESPIPE;
	size_t done = 0;
	int rc = 0;
	struct iopf_group *g;
	pthread_mutex_lock(&fault->mutex);
	while ((g = deliver_fetch(fault))) {
		if (done >= count || g->nr_faults * fsz > count - done) {
			deliver_restore(fault, g);
			if (!done)
				rc = -EINVAL;
			break;
		}
		uint64_t cookie;
		rc = xa_alloc(&fault->response, &cookie, g, 1, UINT32_MAX);
		if (rc) {
			deliver_restore(fault, g);
			break;
		}
		g->cookie = (uint32_t)cookie;
		size_t gdone = done;
		for (unsigned i = 0; i < g->nr_faults && !rc; i++) {
			struct iommu_hwpt_pgfault rec;
			compose(&g->faults[i], g, &rec);
			if (copy_to_user((uint64_t)(uintptr_t)buf + gdone, &rec, fsz))
				rc = -EFAULT;
			gdone += fsz;
		}
		if (rc) {
			xa_erase(&fault->response, g->cookie);
			deliver_restore(fault, g);
			break;
		}
		done = gdone;
	}
	pthread_mutex_lock(&fault->common.lock);
	update_readable(&fault->common, f);
	pthread_mutex_unlock(&fault->common.lock);
	pthread_mutex_unlock(&fault->mutex);
	return done ? (ssize_t)done : rc;
}

static ssize_t fault_write(struct file *f, const void *buf, size_t count, int64_t *pos)
{
	struct iommufd_fault *fault = f->private_data;
	const size_t rsz = sizeof(struct iommu_hwpt_page_response);
	if (*pos || count % rsz)
		return -ESPIPE;
	size_t done = 0;
	int rc = 0;
	pthread_mutex_lock(&fault->mutex);
	while (count > done) {
		struct iommu_hwpt_page_response resp;
		if (copy_from_user(&resp, (uint64_t)(uintptr_t)buf + done, rsz)) {
			rc = -EFAULT;
			break;
		}
		if (resp.code != IOMMUFD_PAGE_RESP_SUCCESS &&
		    resp.code != IOMMUFD_PAGE_RESP_INVALID) {
			rc = -EINVAL;
			break;
		}
		/* An unknown cookie: never read, or answered already (U-11). */
		struct iopf_group *g = xa_erase(&fault->response, resp.cookie);
		if (!g) {
			rc = -EINVAL;
			break;
		}
		respond_group(g, resp.code == IOMMUFD_PAGE_RESP_SUCCESS ? IOMMU_PAGE_RESP_SUCCESS :
									  IOMMU_PAGE_RESP_INVALID);
		free_group(g);
		done += rsz;
	}
	pthread_mutex_unlock(&fault->mutex);
	return done ? (ssize_t)done : rc;
}

/* ---- the queue files ---- */

static void eventq_release(struct file *f)
{
	struct iommufd_eventq *eventq = f->private_data;
	struct iommufd_ctx *ictx = eventq->ictx;
	pthread_mutex_lock(&eventq->lock);
	eventq->filep = NULL;
	pthread_mutex_unlock(&eventq->lock);
	/* The object may go as soon as this reference does. */
	refcount_dec(&eventq->obj.users);
	iommufd_ctx_put(ictx);
}

/*
 * The queue's descriptor closes: every fault delivered or read and not
 * answered is answered Invalid now, and later ones as they come
 * (iommufd_fault_iopf_handler), so no device waits for an answer only a
 * closed descriptor could give (U-11). Linux leaves them queued until
 * the HWPT is detached or destroyed, the device stalled until then.
 * Groups still gathering are dropped; their last request is answered
 * when it arrives.
 */
static void fault_release(struct file *f)
{
	struct iommufd_fault *fault = f->private_data;
	struct list_node gone = LIST_HEAD_INIT(gone);
	struct iopf_group *g, *t;
	pthread_mutex_lock(&fault->mutex);
	pthread_mutex_lock(&fault->common.lock);
	fault->common.filep = NULL;
	list_for_each_entry_safe(g, t, &fault->common.deliver, node) {
		list_del(&g->node);
		list_add_tail(&g->node, &gone);
	}
	list_for_each_entry_safe(g, t, &fault->partial, node) {
		list_del(&g->node);
		free_group(g);
	}
	pthread_mutex_unlock(&fault->common.lock);
	uint64_t index;
	xa_for_each(&fault->response, index, g) {
		xa_erase(&fault->response, index);
		list_add_tail(&g->node, &gone);
	}
	pthread_mutex_unlock(&fault->mutex);
	fail_groups(&gone);
	eventq_release(f);
}

static const struct file_operations fault_fops = {
	.fop_flags = FOP_READINESS,
	.read = fault_read,
	.write = fault_write,
	.release = fault_release,
};

/* The queue's descriptor: the file holds a users reference on the object
 * and one on the context, as Linux's. Returns the descriptor or -errno. */
static int eventq_init(struct iommufd_eventq *eventq, const char *name, struct iommufd_ctx *ictx,
		       const struct file_operations *fops)
{
	pthread_mutex_init(&eventq->lock, NULL);
	list_init(&eventq->deliver);
	int fd = anon_file_getfd(ictx->host, name, fops, eventq, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return fd;
	struct file *f = fget(fd);
	eventq->filep = f; /* borrowed: the descriptor holds the file */
	fput(f);
	eventq->ictx = ictx;
	iommufd_ctx_get(ictx);
	eventq->fd = fd;
	refcount_inc(&eventq->obj.users);
	return fd;
}

int iommufd_fault_alloc(struct iommufd_ucmd *ucmd)
{
	struct iommu_fault_alloc *cmd = ucmd->cmd;
	int rc;
	if (cmd->flags)
		return -EOPNOTSUPP;
	struct iommufd_fault *fault =
		iommufd_object_alloc_ucmd(ucmd, struct iommufd_fault, IOMMUFD_OBJ_FAULT, &rc);
	if (!fault)
		return rc;
	fault->common.fd = -1;
	xa_init(&fault->response);
	list_init(&fault->partial);
	pthread_mutex_init(&fault->mutex, NULL);
	int fd = eventq_init(&fault->common, "[iommufd-pgfault]", ucmd->ictx, &fault_fops);
	if (fd < 0)
		return fd;
	cmd->out_fault_id = fault->common.obj.id;
	cmd->out_fault_fd = (uint32_t)fd;
	rc = iommufd_ucmd_respond(ucmd, sizeof(*cmd));
	if (!rc)
		fault->common.fd = -1; /* the program's now */
	return rc;
}

/* ---- vEVENTQ ---- */

/* Caller holds viommu->veventqs_rwsem for writing. */
void iommufd_veventq_abort(struct iommufd_object *obj)
{
	struct iommufd_veventq *veventq = (struct iommufd_veventq *)obj;
	struct iommufd_vevent *cur, *next;
	list_for_each_entry_safe(cur, next, &veventq->common.deliver, node) {
		list_del(&cur->node);
		if (cur != &veventq->lost_events_header)
			free(cur);
	}
	refcount_dec(&veventq->viommu->obj.users);
	list_del(&veventq->node);
	pthread_mutex_destroy(&veventq->common.lock);
}

void iommufd_veventq_destroy(struct iommufd_object *obj)
{
	struct iommufd_veventq *veventq = (struct iommufd_veventq *)obj;
	struct iommufd_viommu *viommu = veventq->viommu;
	pthread_rwlock_wrlock(&viommu->veventqs_rwsem);
	iommufd_veventq_abort(obj);
	pthread_rwlock_unlock(&viommu->veventqs_rwsem);
}

/* The next record; the lost-events header is handed out as a copy so it
 * can stay queued at the tail for the next overflow. */
static struct iommufd_vevent *veventq_fetch(struct iommufd_veventq *veventq, int *err)
{
	struct iommufd_eventq *eventq = &veventq->common;
	struct iommufd_vevent *v = NULL;
	pthread_mutex_lock(&eventq->lock);
	if (!list_empty(&eventq->deliver)) {
		struct iommufd_vevent *next =
			list_entry(eventq->deliver.next, struct iommufd_vevent, node);
		if (next == &veventq->lost_events_header) {
			v = kcalloc(1, sizeof(*v));
			if (!v) {
				*err = -ENOMEM;
				goto out;
			}
			v->header = next->header;
		} else {
			v = next;
		}
		list_del(&next->node);
	}
out:
	pthread_mutex_unlock(&eventq->lock);
	return v;
}

static bool is_lost_header(const struct iommufd_vevent *v)
{
	return v->header.flags & IOMMU_VEVENTQ_FLAG_LOST_EVENTS;
}

static void veventq_restore(struct iommufd_veventq *veventq, struct iommufd_vevent *v)
{
	struct iommufd_eventq *eventq = &veventq->common;
	pthread_mutex_lock(&eventq->lock);
	if (is_lost_header(v)) {
		free(v);
		v = list_empty(&eventq->deliver) ? &veventq->lost_events_header : NULL;
	}
	if (v)
		list_add_head(&v->node, &eventq->deliver);
	pthread_mutex_unlock(&eventq->lock);
}

static ssize_t veventq_read(struct file *f, void *buf, size_t count, int64_t *pos)
{
	struct iommufd_veventq *veventq = f->private_data;
	struct iommufd_eventq *eventq = &veventq->common;
	const size_t hsz = sizeof(struct iommufd_vevent_header);
	if (*pos)
		return -ESPIPE;
	if (count < hsz)
		return -EINVAL;
	uint64_t ubuf = (uint64_t)(uintptr_t)buf;
	size_t done = 0;
	int rc = 0;
	struct iommufd_vevent *cur;
	while ((cur = veventq_fetch(veventq, &rc))) {
		if (done >= count || hsz > count - done) {
			veventq_restore(veventq, cur);
			break;
		}
		if (!is_lost_header(cur) && hsz + cur->data_len > count - done) {
			veventq_restore(veventq, cur);
			if (!done)
				rc = -EINVAL;
			break;
		}
		if (copy_to_user(ubuf + done, &cur->header, hsz) ||
		    (cur->data_len && copy_to_user(ubuf + done + hsz, cur->event_data,
						   cur->data_len))) {
			veventq_restore(veventq, cur);
			rc = -EFAULT;
			break;
		}
		done += hsz + cur->data_len;
		pthread_mutex_lock(&eventq->lock);
		if (!is_lost_header(cur))
			veventq->num_events--;
		pthread_mutex_unlock(&eventq->lock);
		free(cur);
	}
	pthread_mutex_lock(&eventq->lock);
	update_readable(eventq, f);
	pthread_mutex_unlock(&eventq->lock);
	return done ? (ssize_t)done : rc;
}

static const struct file_operations veventq_fops = {
	.fop_flags = FOP_READINESS,
	.read = veventq_read,
	.release = eventq_release,
};

/* An arbitrary bound every hardware queue fits in, as Linux's. */
#define VEVENTQ_MAX_DEPTH (1u << 19)

static struct iommufd_veventq *veventq_new(struct iommufd_ucmd *ucmd,
					   struct iommufd_viommu *viommu, int *err)
{
	struct iommu_veventq_alloc *cmd = ucmd->cmd;
	struct iommufd_veventq *veventq = iommufd_object_alloc(ucmd->ictx, struct iommufd_veventq,
							       IOMMUFD_OBJ_VEVENTQ, err);
	if (!veventq)
		return NULL;
	veventq->common.fd = -1;
	veventq->type = cmd->type;
	veventq->viommu = viommu;
	refcount_inc(&viommu->obj.users);
	veventq->depth = cmd->veventq_depth;
	list_add_tail(&veventq->node, &viommu->veventqs);
	veventq->lost_events_header.header.flags = IOMMU_VEVENTQ_FLAG_LOST_EVENTS;
	return veventq;
}

int iommufd_veventq_alloc(struct iommufd_ucmd *ucmd)
{
	struct iommu_veventq_alloc *cmd = ucmd->cmd;
	int rc;
	if (cmd->flags || cmd->__reserved || cmd->type == IOMMU_VEVENTQ_TYPE_DEFAULT)
		return -EOPNOTSUPP;
	if (!cmd->veventq_depth || cmd->veventq_depth > VEVENTQ_MAX_DEPTH)
		return -EINVAL;
	struct iommufd_viommu *viommu = iommufd_get_viommu(ucmd, cmd->viommu_id, &rc);
	if (!viommu)
		return rc;
	pthread_rwlock_wrlock(&viommu->veventqs_rwsem);
	/* One queue per type per vIOMMU. */
	if (iommufd_viommu_find_veventq(viommu, cmd->type)) {
		rc = -EEXIST;
		goto out_unlock;
	}
	struct iommufd_veventq *veventq = veventq_new(ucmd, viommu, &rc);
	if (!veventq)
		goto out_unlock;
	int fd = eventq_init(&veventq->common, "[iommufd-viommu-event]", ucmd->ictx,
			     &veventq_fops);
	if (fd < 0) {
		rc = fd;
		goto out_abort;
	}
	cmd->out_veventq_id = veventq->common.obj.id;
	cmd->out_veventq_fd = (uint32_t)fd;
	rc = iommufd_ucmd_respond(ucmd, sizeof(*cmd));
	if (rc)
		goto out_abort;
	veventq->common.fd = -1;
	iommufd_object_finalize(ucmd->ictx, &veventq->common.obj);
	goto out_unlock;
out_abort:
	iommufd_object_abort_and_destroy(ucmd->ictx, &veventq->common.obj);
out_unlock:
	pthread_rwlock_unlock(&viommu->veventqs_rwsem);
	iommufd_put_object(ucmd->ictx, &viommu->obj);
	return rc;
}

/* Caller holds veventqs_rwsem. */
struct iommufd_veventq *iommufd_viommu_find_veventq(struct iommufd_viommu *viommu, uint32_t type)
{
	struct iommufd_veventq *q;
	list_for_each_entry(q, &viommu->veventqs, node)
		if (q->type == type)
			return q;
	return NULL;
}

/*
 * A driver's event for a vIOMMU (Linux iommufd_viommu_report_event): onto
 * the queue of that type, or - full, or out of memory - a LOST_EVENTS
 * header at the tail instead. Sequence numbers count every record,
 * lost-events headers included, and wrap at INT_MAX.
 */
int iommufd_viommu_report_event(struct iommufd_viommu *viommu, uint32_t type, const void *data,
				size_t data_len)
{
	if (!data_len || !data)
		return -EINVAL;
	int rc = 0;
	pthread_rwlock_rdlock(&viommu->veventqs_rwsem);
	struct iommufd_veventq *veventq = iommufd_viommu_find_veventq(viommu, type);
	if (!veventq) {
		rc = -EOPNOTSUPP;
		goto out;
	}
	struct iommufd_eventq *eventq = &veventq->common;
	struct iommufd_vevent *v = kmalloc(sizeof(*v) + data_len);
	pthread_mutex_lock(&eventq->lock);
	if (!v) {
		rc = -ENOMEM;
		v = &veventq->lost_events_header;
	} else if (veventq->num_events == veventq->depth) {
		free(v);
		v = &veventq->lost_events_header;
	} else {
		memset(&v->header, 0, sizeof(v->header));
		v->data_len = data_len;
		memcpy(v->event_data, data, data_len);
		veventq->num_events++;
	}
	/* The lost-events header is only ever last: taken out before any
	 * new record, put back after (with a new sequence) when lost. */
	struct list_node *tail = eventq->deliver.prev;
	if (tail == &veventq->lost_events_header.node)
		list_del(tail);
	list_add_tail(&v->node, &eventq->deliver);
	v->header.sequence = veventq->sequence;
	veventq->sequence = (veventq->sequence + 1) & INT_MAX;
	update_readable(eventq, queue_file(eventq));
	pthread_mutex_unlock(&eventq->lock);
out:
	pthread_rwlock_unlock(&viommu->veventqs_rwsem);
	return rc;
}
