/**
 * Delivery as a unit (docs/reference/deliverer.md §2 deliverer.Start): the webhook worker and the alert worker
 * for one instance. Used by `--mode=deliverer` and by a monitor running delivery embedded.
 */
import type { AlertDispatchers } from "./notification.ts";
import {
  type AlertWorkerOptions,
  createAlertWorker,
  createWebhookWorker,
  type DeliveryWorker,
  type WebhookWorkerOptions,
  type WorkerOptions,
} from "./worker.ts";

export interface DeliveryRuntimeOptions extends WorkerOptions {
  dispatchers: AlertDispatchers;
  /** Settings only the webhook worker takes (fetch, timeout, user agent). */
  webhook?: Partial<Omit<WebhookWorkerOptions, keyof WorkerOptions>>;
  /** Settings only the alert worker takes (timeout). */
  alert?: Partial<Omit<AlertWorkerOptions, keyof WorkerOptions | "dispatchers">>;
}

export interface DeliveryRuntime {
  webhooks: DeliveryWorker;
  alerts: DeliveryWorker;
  /** Stops claiming in both workers, then waits for webhooks and then alerts to finish. */
  stop(): Promise<void>;
}

export async function startDeliveryRuntime(o: DeliveryRuntimeOptions): Promise<DeliveryRuntime> {
  const { webhook, alert, dispatchers, ...common } = o;
  const webhooks = createWebhookWorker({ ...common, ...webhook });
  const alerts = createAlertWorker({ ...common, ...alert, dispatchers });
  await webhooks.start();
  await alerts.start();
  let stopped: Promise<void> | undefined;
  return {
    webhooks,
    alerts,
    stop() {
      stopped ??= (async () => {
        const w = webhooks.stop();
        const a = alerts.stop();
        await w;
        o.log.info("webhooks: delivery worker stopped");
        await a;
        o.log.info("alerting: delivery worker stopped");
      })();
      return stopped;
    },
  };
}
