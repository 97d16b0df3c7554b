/**
 * The sample photos in public/samples/, with the credit and licence that must travel with them.
 * Copied from shared/data/photos/manifest.csv (the rows of split "samples"); SOURCES.md there
 * explains how each file was made from its Debian package.
 */

export interface Sample {
  /** Short name used in the URL (`?sample=`). */
  id: string;
  title: string;
  /** File name under public/samples/. */
  file: string;
  /** Credit as shipped in the package (photographer, upstream licence, source). */
  credit: string;
  /** Licence of the file per the package's debian/copyright. */
  licence: string;
  /** Debian package and version the original comes from. */
  debianPackage: string;
  /** Path of the original inside that package. */
  pathInPackage: string;
}

export const SAMPLES: readonly Sample[] = [
  {
    id: 'cat',
    title: 'Chelsea the cat',
    file: 'python3-skimage-chelsea.jpg',
    credit: 'Chelsea the cat; CC0 by the photographer (Stefan van der Walt) (skimage docstring)',
    licence: 'BSD-3-Clause',
    debianPackage: 'python3-skimage 0.19.3-8',
    pathInPackage: '/usr/lib/python3/dist-packages/skimage/data/chelsea.png',
  },
  {
    id: 'astronaut',
    title: 'Astronaut',
    file: 'python3-skimage-astronaut.jpg',
    credit:
      'Eileen Collins, NASA Great Images database; "No known copyright restrictions, released into the public domain" (skimage docstring)',
    licence: 'BSD-3-Clause',
    debianPackage: 'python3-skimage 0.19.3-8',
    pathInPackage: '/usr/lib/python3/dist-packages/skimage/data/astronaut.png',
  },
  {
    id: 'mountains',
    title: 'Picos de Europa',
    file: 'lomiri-wallpapers-16.04-picosdeeuropa.jpg',
    credit: 'Aitzol Berasategi, 2018',
    licence: 'CC-BY-4.0',
    debianPackage: 'lomiri-wallpapers-16.04 20.04.0-2',
    pathInPackage: '/usr/share/backgrounds/picosdeeuropa_by_Aitzol_Berasategi.jpg',
  },
  {
    id: 'cathedral',
    title: 'Berlin Cathedral',
    file: 'gcompris-qt-data-monument-germany-berlin-cathedral.jpg',
    credit:
      'upstream README: Gary Todd; CC0-1.0; https://commons.wikimedia.org/wiki/File:Berlin_Cathedral_(28668994926).jpg',
    licence: 'GPL-3+',
    debianPackage: 'gcompris-qt-data 3.1-2',
    pathInPackage:
      '/usr/share/gcompris-qt/rcc/explore_monuments.rcc :/gcompris/src/activities/explore_monuments/resource/germany/berlinCathedral.webp',
  },
  {
    id: 'coffee',
    title: 'Coffee cup',
    file: 'python3-skimage-coffee.jpg',
    credit:
      'Coffee cup, courtesy Pikolo Espresso Bar; CC0 by the photographer (Rachel Michetti) (skimage docstring)',
    licence: 'BSD-3-Clause',
    debianPackage: 'python3-skimage 0.19.3-8',
    pathInPackage: '/usr/lib/python3/dist-packages/skimage/data/coffee.png',
  },
  {
    id: 'letters',
    title: 'Letter blocks',
    file: 'gcompris-qt-data-blocks-alphabets.jpg',
    credit: 'upstream README: Divyam Madaan; CC-BY-SA 4.0',
    licence: 'CC-BY-SA-4.0',
    debianPackage: 'gcompris-qt-data 3.1-2',
    pathInPackage:
      '/usr/share/gcompris-qt/rcc/categorization.rcc :/gcompris/src/activities/categorization/resource/images/alphabets/alphabets.webp',
  },
  {
    id: 'kingfisher',
    title: 'Kingfisher',
    file: 'gcompris-qt-data-animal-kingfisher.jpg',
    credit:
      'upstream README: Frank-2.0; CC0-1.0; https://commons.wikimedia.org/wiki/File:Eisvogel_kingfisher.jpg; cropping, sharpening',
    licence: 'GPL-3+',
    debianPackage: 'gcompris-qt-data 3.1-2',
    pathInPackage:
      '/usr/share/gcompris-qt/rcc/erase.rcc :/gcompris/src/activities/erase/resource/kingfisher.webp',
  },
  {
    id: 'rocket',
    title: 'Rocket launch',
    file: 'python3-skimage-rocket.jpg',
    credit:
      'DSCOVR launch on Falcon 9, SpaceX Photos; released into the public domain by SpaceX (skimage docstring)',
    licence: 'BSD-3-Clause',
    debianPackage: 'python3-skimage 0.19.3-8',
    pathInPackage: '/usr/lib/python3/dist-packages/skimage/data/rocket.jpg',
  },
];

export const DEFAULT_SAMPLE_ID = 'cat';

export function sampleById(id: string): Sample | undefined {
  return SAMPLES.find((sample) => sample.id === id);
}

export function sampleUrl(sample: Sample): string {
  return `${import.meta.env.BASE_URL}samples/${sample.file}`;
}
