/**
 * Performance marks the app sets for measurement (`npm run bench` reads them from Chromium).
 * VIEWS_PAINTED_MARK: the first animation frame after the four view canvases were drawn with new
 * views, i.e. the frame that shows them.
 */
export const VIEWS_PAINTED_MARK = 'mae-lens:views-painted';
