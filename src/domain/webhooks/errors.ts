import { DomainError, invalid, notFound } from '../errors.js';

// Wire codes follow upstream's NAMESPACE::REASON shape.
export const webhookNotFound = (id: string) => notFound('WEBHOOK::NOT_FOUND', `Webhook endpoint ${id} not found.`);
export const deliveryNotFound = (id: string) => notFound('WEBHOOK::DELIVERY_NOT_FOUND', `Webhook delivery ${id} not found.`);
export const invalidUrl = () => invalid('WEBHOOK::INVALID_URL', 'Webhook URL must be an absolute http(s) URL whose host resolves.');
export const urlNotAllowed = () =>
  invalid('WEBHOOK::URL_NOT_ALLOWED', 'Webhook URL resolves to a loopback, private or link-local address, which this server does not allow.');
export const endpointDisabled = (id: string) =>
  new DomainError('conflict', 'WEBHOOK::ENDPOINT_DISABLED', `Webhook endpoint ${id} is disabled; enable it first.`);
export const deliveryInProgress = (id: string) => new DomainError('conflict', 'WEBHOOK::DELIVERY_IN_PROGRESS', `Webhook delivery ${id} has not finished yet.`);
