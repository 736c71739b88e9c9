/** The one API key every test server and test app is configured with (and every test client sends). */
export const TEST_API_KEY = 'test-key-0123456789';
