import { SAMPLES, sampleUrl } from '../samples';

export function Credits() {
  return (
    <section id="credits" className="credits" aria-labelledby="credits-title">
      <h2 id="credits-title">Photo credits</h2>
      <p>
        The sample photos come from Debian 12 packages, resized for this page. Each keeps the licence of its
        original; where the package’s copyright file and the upstream credit differ, both are given.
      </p>
      <ul className="credits__list">
        {SAMPLES.map((sample) => (
          <li key={sample.id} className="credits__item">
            <img src={sampleUrl(sample)} alt="" width={48} height={48} loading="lazy" />
            <div>
              <strong>{sample.title}</strong>
              <span>{sample.credit}</span>
              <span>
                Licence: {sample.licence} · from Debian package {sample.debianPackage},{' '}
                <code>{sample.pathInPackage}</code>
              </span>
            </div>
          </li>
        ))}
      </ul>
    </section>
  );
}
